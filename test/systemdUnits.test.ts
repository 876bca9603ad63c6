import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { readFile } from "node:fs/promises";
import path from "node:path";
import { describe, it } from "node:test";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");
const run = promisify(execFile);

/**
 * What systemd-analyze cannot judge: that ntd.service keeps the directives the daemon depends on
 * (scripts/checkUnits.sh, run by .ci/run, has systemd itself verify the files and score them),
 * and that install.sh does what its --dry-run says, in order.
 */
describe("systemd units and install.sh", () => {
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

  it("install.sh --dry-run prints every step and changes nothing", async () => {
    const { stdout } = await run("bash", [path.join(root, "scripts/install.sh"), "--dry-run"]);
    const commands = stdout.split("\n").filter((line) => line.startsWith("  $ ")).map((line) => line.slice(4));
    const order = ["cp -a", "ln -sfn /opt/ntransformer/dist/daemon/main.js /usr/local/bin/ntd",
      "install -D -m 0644", "systemd-sysusers /etc/sysusers.d/ntd.conf", "systemd-tmpfiles --create /etc/tmpfiles.d/ntd.conf",
      "systemctl daemon-reload", "systemctl enable ntd.service", "systemctl restart ntd.service"];
    let at = -1;
    for (const prefix of order) {
      const index = commands.findIndex((command, i) => i > at && command.startsWith(prefix));
      assert.ok(index > at, `"${prefix}" comes after the steps before it:\n${stdout}`);
      at = index;
    }
    assert.ok(stdout.split("\n").filter((line) => line.startsWith("==> ")).length >= 6, "each step is announced");
  });

  it("install.sh --dry-run --uninstall removes what install put in place, and refuses unknown arguments", async () => {
    const { stdout } = await run("bash", [path.join(root, "scripts/install.sh"), "--dry-run", "--uninstall"]);
    assert.match(stdout, /\$ systemctl disable --now ntd\.service/);
    assert.match(stdout, /\$ rm -f \/etc\/systemd\/system\/ntd\.service \/etc\/sysusers\.d\/ntd\.conf \/etc\/tmpfiles\.d\/ntd\.conf/);
    assert.match(stdout, /\$ rm -rf \/opt\/ntransformer\n/);
    await assert.rejects(run("bash", [path.join(root, "scripts/install.sh"), "--dry-rn"]), { code: 2 });
  });
});
