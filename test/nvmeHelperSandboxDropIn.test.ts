import assert from "node:assert/strict";
import { execFile, spawnSync } from "node:child_process";
import { chmodSync, copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { after, before, describe, it } from "node:test";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import type { HelperConfig } from "../nvme-helper/config/helperConfigSchema.js";
import { sandboxDropIn } from "../nvme-helper/sandbox/sandboxDropIn.js";
import { NtError } from "../protocol/NtError.js";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");
const tool = path.join(root, "dist/nvme-helper/sandbox/main.js");
const run = promisify(execFile);

const imageArea = { startLba: 2048, sizeBytes: 1 << 30 };
const twoDevices: HelperConfig = {
  allowedUids: [999], allowedGids: [],
  devices: [{ bdf: "0000:01:00.0", serial: "S1", imageArea }, { bdf: "0000:41:00.0", eui64: "e1", imageArea }],
};

/** The directive lines of a unit file or drop-in (no comments, no blank lines). */
const directives = (text: string) => text.split("\n").filter((line) => line !== "" && !line.startsWith("#"));

/** systemd-analyze, which CI has (systemd 252 installed, not running); elsewhere it may be missing. */
const haveSystemdAnalyze = spawnSync("systemd-analyze", ["--version"]).status === 0;

/** The helper's sandbox, allowlist part (nvme-helper/sandbox/, systemd/README.md). */
describe("nt-nvme-helper-sandbox (the allowlist's drop-in)", () => {
  let dir: string;
  before(() => {
    dir = mkdtempSync(path.join(os.tmpdir(), "nt-sandbox-"));
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  /** Writes `config` as a helper.json the helper would accept (owned by us, 0644, in a 0755 folder of ours). */
  function writeConfig(name: string, config: unknown, mode = 0o644): string {
    const folder = path.join(dir, name);
    mkdirSync(folder, { mode: 0o755 });
    const file = path.join(folder, "helper.json");
    writeFileSync(file, JSON.stringify(config));
    chmodSync(file, mode);
    return file;
  }

  it("opens up each allowlisted device's driver_override and its namespace's by-path block device, VFIO for the data plane, and nothing else", () => {
    assert.deepEqual(directives(sandboxDropIn(twoDevices, "/etc/ntd/helper.json")), [
      "[Service]",
      "ReadWritePaths=-/sys/bus/pci/devices/0000:01:00.0/driver_override",
      "DeviceAllow=/dev/disk/by-path/pci-0000:01:00.0-nvme-1 rw",
      "ReadWritePaths=-/sys/bus/pci/devices/0000:41:00.0/driver_override",
      "DeviceAllow=/dev/disk/by-path/pci-0000:41:00.0-nvme-1 rw",
      "DeviceAllow=/dev/vfio/vfio rw",
      "DeviceAllow=char-vfio rw",
    ]);
    assert.deepEqual(directives(sandboxDropIn({ ...twoDevices, devices: [] }, "/etc/ntd/helper.json")), ["[Service]"],
      "an empty allowlist opens up nothing");
  });

  it("refuses an address that is not canonical rather than write it into a unit file", () => {
    // The helper's schema already refuses these; the drop-in checks again, as a unit file is code.
    for (const bdf of ["0000:01:00.0\nExecStartPre=/bin/sh -c id", "0000:01:00.0 /sys", "0000:01:00.0/../../..", "0000:01:00.%n", "0000:01:00.A"]) {
      const config = { ...twoDevices, devices: [{ bdf, serial: "S1", imageArea }] };
      assert.throws(() => sandboxDropIn(config, "/etc/ntd/helper.json"), (err: unknown) => err instanceof NtError && err.code === "NT_E_BAD_REQUEST", bdf);
    }
    // A path with a line break stays inside its comment.
    const text = sandboxDropIn(twoDevices, "/etc/ntd/x\nExecStartPre=/bin/sh");
    assert.ok(!text.split("\n").some((line) => line.startsWith("ExecStartPre")), text);
  });

  it("writes the drop-in (0644, replacing the old one) from a configuration the helper would accept", async () => {
    const config = writeConfig("ok", twoDevices);
    const output = path.join(dir, "ok", "unit.d", "allowlist.conf");
    await run(process.execPath, [tool, "--config", config, "--output", output]);
    await run(process.execPath, [tool, "--config", config, "--output", output]);
    assert.equal(readFileSync(output, "utf8"), sandboxDropIn(twoDevices, config));
    assert.equal(statSync(output).mode & 0o777, 0o644);
    const { stdout } = await run(process.execPath, [tool, "--config", config, "--output", "-"]);
    assert.equal(stdout, sandboxDropIn(twoDevices, config));
  });

  it("refuses, writing nothing, a configuration the helper would refuse", async () => {
    const cases: Array<[string, string]> = [
      [writeConfig("writable", twoDevices, 0o666), "writable by group or others"],
      [writeConfig("badbdf", { ...twoDevices, devices: [{ bdf: "0000:01:00.0/..", serial: "S1", imageArea }] }, 0o644), "PCI address"],
    ];
    for (const [config, why] of cases) {
      const output = path.join(path.dirname(config), "allowlist.conf");
      await assert.rejects(run(process.execPath, [tool, "--config", config, "--output", output]), (err: { code?: number; stderr?: string }) => {
        assert.equal(err.code, 1);
        assert.match(err.stderr ?? "", new RegExp(`${why}.*\\[NT_E_BAD_REQUEST\\]`));
        return true;
      });
      assert.equal(existsSync(output), false, `nothing written for ${config}`);
    }
  });

  it("gives a unit that systemd-analyze verify accepts without a word", { skip: !haveSystemdAnalyze && process.env.CI !== "true" && "systemd-analyze is not installed" }, async () => {
    const units = path.join(dir, "units");
    mkdirSync(path.join(units, "nt-nvme-helper.service.d"), { recursive: true });
    for (const unit of ["nt-nvme-helper.service", "nt-nvme-helper.socket"]) copyFileSync(path.join(root, "systemd", unit), path.join(units, unit));
    await run(process.execPath, [tool, "--config", writeConfig("verify", twoDevices), "--output", path.join(units, "nt-nvme-helper.service.d/allowlist.conf")]);
    // verify reads drop-ins from the unit's folder; any output (e.g. "Invalid device node path") is a defect.
    const { stdout, stderr } = await run("systemd-analyze", ["verify", "--man=no", path.join(units, "nt-nvme-helper.service"), path.join(units, "nt-nvme-helper.socket")]);
    assert.equal(`${stdout}${stderr}`, "");
  });
});
