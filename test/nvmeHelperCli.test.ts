import assert from "node:assert/strict";
import { spawn, spawnSync } from "node:child_process";
import { chmodSync, mkdirSync, writeFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { after, before, describe, it } from "node:test";
import { makeHelperFixture, TEST_BDF, type HelperFixture } from "./support/makeHelperFixture.js";

const dist = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const helperMain = path.join(dist, "nvme-helper", "main.js");
const ntctlMain = path.join(dist, "ctl", "main.js");

let fixture: HelperFixture;
let helper: ReturnType<typeof spawn>;
let socketPath: string;

function ntctl(...args: string[]): { status: number | null; stdout: string; stderr: string } {
  return spawnSync(process.execPath, [ntctlMain, ...args, "--helper-socket", socketPath], { encoding: "utf8" });
}

// The real binary over the real SysfsTree reading a fake tree: read-only verbs and refusals only,
// since no kernel reacts to its writes here (bind/restore sequences are nvmeHelperMonitor's).
describe("nt-nvme-helper binary and ntctl devices/bind/restore", () => {
  before(async () => {
    fixture = makeHelperFixture();
    const etc = path.join(fixture.dir, "etc");
    mkdirSync(etc, { mode: 0o755 });
    chmodSync(fixture.dir, 0o755);
    writeFileSync(path.join(etc, "helper.json"), JSON.stringify(fixture.config), { mode: 0o644 });
    socketPath = path.join(fixture.dir, "helper.sock");
    helper = spawn(process.execPath, [helperMain, "--socket", socketPath, "--config", path.join(etc, "helper.json"),
      "--sysfs-root", fixture.sysfsRoot, "--proc-root", fixture.procRoot, "--dev-root", fixture.devRoot, "--journal", fixture.journalFile], { stdio: ["ignore", "ignore", "pipe"] });
    await new Promise<void>((resolve, reject) => {
      let err = "";
      helper.stderr?.on("data", (chunk: Buffer) => {
        err += chunk.toString();
        if (err.includes("serving")) resolve();
      });
      helper.once("exit", (code) => reject(new Error(`helper exited ${code}: ${err}`)));
    });
  });
  after(() => {
    helper.kill();
    fixture.remove();
  });

  it("ntctl devices --json lists the allowlisted device", () => {
    const run = ntctl("devices", "--json");
    assert.equal(run.status, 0, run.stderr);
    const { devices } = JSON.parse(run.stdout) as { devices: Array<{ bdf: string; driver: string; identityMatches: boolean }> };
    assert.deepEqual(devices.map(({ bdf, driver, identityMatches }) => ({ bdf, driver, identityMatches })),
      [{ bdf: TEST_BDF, driver: "nvme", identityMatches: true }]);
  });

  it("ntctl bind of a device outside the allowlist exits 7 with NT_E_DEVICE_NOT_ALLOWED", () => {
    const run = ntctl("bind", "0000:09:00.0", "--json");
    assert.equal(run.status, 7);
    assert.equal((JSON.parse(run.stdout) as { error: { code: string } }).error.code, "NT_E_DEVICE_NOT_ALLOWED");
  });

  it("ntctl restore of a device already on nvme succeeds and changes nothing", () => {
    const run = ntctl("restore");
    assert.equal(run.status, 0, run.stderr);
    assert.match(run.stdout, new RegExp(`^${TEST_BDF}  nvme  group 1  serial=S1 eui64=e1  nvme0n1\\n$`));
  });

  it("the helper starts on a journal it can use only in part: a bad line set aside, a gone device's bind left open, both logged", async () => {
    const gone = "0000:02:00.0";
    const etc = path.join(fixture.dir, "etc-gone");
    mkdirSync(etc, { mode: 0o755 });
    const config = path.join(etc, "helper.json");
    writeFileSync(config, JSON.stringify({ ...fixture.config, devices: [...fixture.config.devices,
      { bdf: gone, serial: "S2", imageArea: { startLba: 2048, sizeBytes: 1 << 30 } }] }), { mode: 0o644 });
    const journal = path.join(fixture.dir, "journal-gone");
    writeFileSync(journal, `null\n${JSON.stringify({ type: "begin", txn: 1, op: "bind", bdf: gone, pciId: "0x144d:0xa808", identity: { serial: "S2" } })}\n`);
    const started = spawn(process.execPath, [helperMain, "--socket", path.join(fixture.dir, "gone.sock"), "--config", config,
      "--sysfs-root", fixture.sysfsRoot, "--proc-root", fixture.procRoot, "--dev-root", fixture.devRoot, "--journal", journal], { stdio: ["ignore", "ignore", "pipe"] });
    const stderr = await new Promise<string>((resolve, reject) => {
      let err = "";
      started.stderr?.on("data", (chunk: Buffer) => {
        err += chunk.toString();
        if (err.includes("serving")) resolve(err);
      });
      started.once("exit", (code) => reject(new Error(`helper exited ${code}: ${err}`)));
    });
    started.kill();
    assert.match(stderr, /nt-nvme-helper: journal line 1 set aside in .*journal-gone\.quarantine: not a journal record/);
    assert.match(stderr, new RegExp(`nt-nvme-helper: NOT repaired after a crash, left for the next start: bind of ${gone} \\(txn 1\\): NT_E_NOT_FOUND`));
    assert.match(stderr, /serving 2 allowlisted devices/);
  });

  it("the helper refuses to start with a world-writable configuration", () => {
    const config = path.join(fixture.dir, "etc", "helper.json");
    chmodSync(config, 0o666);
    const run = spawnSync(process.execPath, [helperMain, "--socket", path.join(fixture.dir, "other.sock"), "--config", config,
      "--sysfs-root", fixture.sysfsRoot, "--journal", fixture.journalFile], { encoding: "utf8" });
    chmodSync(config, 0o644);
    assert.equal(run.status, 1);
    assert.match(run.stderr, /writable by group or others.*\[NT_E_BAD_REQUEST\]/);
  });
});
