import assert from "node:assert/strict";
import { readFile } from "node:fs/promises";
import path from "node:path";
import { describe, it } from "node:test";
import { fileURLToPath } from "node:url";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");

/**
 * What systemd-analyze cannot judge: that ntd.service keeps the directives the daemon depends on
 * (scripts/checkUnits.sh, run by .ci/run, has systemd itself verify the files and score them).
 * install.sh has its own tests (installScript.test.ts).
 */
describe("systemd units", () => {
  it("ntd.service keeps the directives ntd relies on, and none that break it", async () => {
    const unit = await readFile(path.join(root, "systemd/ntd.service"), "utf8");
    const directives = unit.split("\n").filter((line) => /^[A-Z]\w*=/.test(line));
    for (const expected of ["Type=notify", "NotifyAccess=all", "User=nt", "Group=nt", "RuntimeDirectory=ntd",
      "RuntimeDirectoryMode=0750", "NoNewPrivileges=yes", "ProtectSystem=strict", "ProtectHome=yes", "PrivateTmp=yes",
      "RestrictAddressFamilies=AF_UNIX AF_INET AF_INET6", "DeviceAllow=char-nvidia rw", "DeviceAllow=char-nvidia-uvm rw",
      "LimitMEMLOCK=infinity", "Restart=on-failure", "RestartPreventExitStatus=78"]) {
      assert.ok(directives.includes(expected), `ntd.service has ${expected}`);
    }
    for (const forbidden of ["PrivateDevices=", "MemoryDenyWriteExecute=", "ProcSubset="]) {
      assert.ok(!directives.some((line) => line.startsWith(forbidden)), `ntd.service has no ${forbidden}`);
    }
  });
});
