import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { readFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { afterEach, describe, it } from "node:test";
import { FakeKernelSysfs } from "./support/FakeKernelSysfs.js";
import { makeHelperFixture, TEST_BDF, type HelperFixture } from "./support/makeHelperFixture.js";

const crashChild = path.join(path.dirname(fileURLToPath(import.meta.url)), "support", "nvmeHelperCrashChild.js");

/** Runs `verb` in a child helper that SIGKILLs itself right after `crashAfter`. */
function crashDuring(fixture: HelperFixture, verb: "bind" | "restore", crashAfter: string): void {
  const plan = { root: fixture.sysfsRoot, devices: fixture.devices, config: fixture.config, journal: fixture.journalFile,
    procRoot: fixture.procRoot, verb, device: TEST_BDF, crashAfter };
  const child = spawnSync(process.execPath, [crashChild, JSON.stringify(plan)], { encoding: "utf8" });
  assert.equal(child.signal, "SIGKILL", `the child should have died at ${crashAfter}: ${child.stdout}${child.stderr}`);
}

let fixture: HelperFixture;
afterEach(() => fixture.remove());

describe("nt-nvme-helper undo journal", () => {
  for (const step of ["bind:override", "bind:unbind", "bind:probe", "bind:clear-override"]) {
    it(`repairs a helper killed after ${step}: the device is back on nvme, override cleared`, async () => {
      fixture = makeHelperFixture();
      crashDuring(fixture, "bind", step);
      const journal = readFileSync(fixture.journalFile, "utf8");
      assert.match(journal, new RegExp(`"step":"${step}"`), "the step was journalled before it was done");
      assert.doesNotMatch(journal, /"type":"end","txn":1,/);

      const kernel = FakeKernelSysfs.reopen(fixture.sysfsRoot, fixture.devices);
      const repaired = await fixture.monitor({ sysfs: kernel }).repair();
      assert.equal(repaired.length, 1);
      const [device] = fixture.monitor({ sysfs: kernel }).status({}).devices;
      assert.equal(device?.driver, "nvme");
      assert.deepEqual(device?.blockDevices, ["nvme0n1"]);
      assert.equal(readFileSync(path.join(fixture.sysfsRoot, "bus/pci/devices", TEST_BDF, "driver_override"), "utf8"), "(null)\n");
      assert.deepEqual(await fixture.monitor({ sysfs: kernel }).repair(), [], "a second start finds nothing to repair");
    });
  }

  for (const step of ["restore:clear-override", "restore:unbind", "restore:probe"]) {
    it(`finishes a restore killed after ${step}`, async () => {
      fixture = makeHelperFixture();
      await fixture.monitor().bind({ device: TEST_BDF });
      crashDuring(fixture, "restore", step);
      const kernel = FakeKernelSysfs.reopen(fixture.sysfsRoot, fixture.devices);
      assert.equal((await fixture.monitor({ sysfs: kernel }).repair()).length, 1);
      assert.equal(fixture.monitor({ sysfs: kernel }).status({}).devices[0]?.driver, "nvme");
    });
  }

  it("remembers across restarts which identity it verified, so a restarted helper can bind again after a restore", async () => {
    fixture = makeHelperFixture();
    await fixture.monitor().bind({ device: TEST_BDF });
    const afterRestart = fixture.monitor();
    await afterRestart.repair();
    assert.equal(afterRestart.status({}).devices[0]?.identityMatches, true);
    await afterRestart.restore({});
    assert.equal(afterRestart.status({}).devices[0]?.driver, "nvme");
  });

  it("ignores a torn last line (a crash mid-append announced nothing)", async () => {
    fixture = makeHelperFixture();
    await fixture.monitor().bind({ device: TEST_BDF });
    const { appendFileSync } = await import("node:fs");
    appendFileSync(fixture.journalFile, '{"type":"begin","txn":99,"op":"bi');
    assert.deepEqual(await fixture.monitor().repair(), []);
  });
});
