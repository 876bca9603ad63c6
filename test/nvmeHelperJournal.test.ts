import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { readFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { afterEach, describe, it } from "node:test";
import { UndoJournal } from "../nvme-helper/journal/UndoJournal.js";
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

  it("keeps a placement it cannot repair yet open, and numbers later transactions past it", async () => {
    fixture = makeHelperFixture();
    // A placement a crash left open (the journal's only record), then the device went to
    // vfio-pci by other means: the repair at start cannot open its image area and keeps it open.
    const facts = fixture.kernel.readDevice(TEST_BDF)!;
    new UndoJournal(fixture.journalFile).begin({
      op: "place", bdf: TEST_BDF, pciId: `${facts.vendor}:${facts.device}`, identity: facts.identity,
      placement: { name: "m", ggufBytes: 4096, startLba: 2048, areaBytes: 1 << 22 },
    });
    await fixture.kernel.setDriverOverride(TEST_BDF, "vfio-pci");
    await fixture.kernel.unbind(TEST_BDF, "nvme");
    await fixture.kernel.probe(TEST_BDF);
    await fixture.kernel.setDriverOverride(TEST_BDF, null);
    const monitor = fixture.monitor();
    const first = await monitor.repair();
    assert.equal(first.length, 1);
    assert.match(first[0] ?? "", /^place on .* NOT repaired yet/);
    // The compaction renumbered the journal (the device's identity first, then the placement): a
    // new transaction that reused the placement's number would close it with its own end.
    await monitor.restore({ device: TEST_BDF });
    const second = await fixture.monitor().repair();
    assert.equal(second.length, 1, `the placement is still open at the next start: ${second.join("; ")}`);
    assert.match(second[0] ?? "", /^place /);
  });

  it("ignores a torn last line (a crash mid-append announced nothing)", async () => {
    fixture = makeHelperFixture();
    await fixture.monitor().bind({ device: TEST_BDF });
    const { appendFileSync } = await import("node:fs");
    appendFileSync(fixture.journalFile, '{"type":"begin","txn":99,"op":"bi');
    assert.deepEqual(await fixture.monitor().repair(), []);
  });
});
