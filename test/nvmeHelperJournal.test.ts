import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { existsSync, lstatSync, mkdirSync, readFileSync, symlinkSync, writeFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { afterEach, describe, it } from "node:test";
import { journalRecordSchema } from "../nvme-helper/journal/journalRecordSchema.js";
import { UndoJournal } from "../nvme-helper/journal/UndoJournal.js";
import { FakeKernelSysfs } from "./support/FakeKernelSysfs.js";
import { makeHelperFixture, TEST_BDF, type HelperFixture } from "./support/makeHelperFixture.js";
import { skipWithoutLoopDevices } from "./support/skipWithoutLoopDevices.js";

const crashChild = path.join(path.dirname(fileURLToPath(import.meta.url)), "support", "nvmeHelperCrashChild.js");

/** Runs `verb` in a child helper that SIGKILLs itself right after `crashAfter`. */
function crashDuring(fixture: HelperFixture, verb: "bind" | "restore", crashAfter: string): void {
  const plan = { root: fixture.sysfsRoot, devices: fixture.devices, config: fixture.config, journal: fixture.journalFile,
    procRoot: fixture.procRoot, devRoot: fixture.devRoot, verb, device: TEST_BDF, crashAfter };
  const child = spawnSync(process.execPath, [crashChild, JSON.stringify(plan)], { encoding: "utf8" });
  assert.equal(child.signal, "SIGKILL", `the child should have died at ${crashAfter}: ${child.stdout}${child.stderr}`);
}

/** Inserts `lines` into the journal: before its first line, or after its last. */
function insertLines(fixture: HelperFixture, lines: string[], where: "before" | "after"): void {
  const journal = readFileSync(fixture.journalFile, "utf8");
  const added = lines.map((line) => `${line}\n`).join("");
  writeFileSync(fixture.journalFile, where === "before" ? added + journal : journal + added);
}

/** The lines of <journal>.quarantine, as written there (one JSON object each). */
function quarantined(fixture: HelperFixture): Array<{ line: number; reason: string; text: string }> {
  const file = `${fixture.journalFile}.quarantine`;
  if (!existsSync(file)) return [];
  return readFileSync(file, "utf8").split("\n").filter(Boolean).map((line) => JSON.parse(line) as { line: number; reason: string; text: string });
}

/** Every line of the journal is a valid record (journalRecordSchema). */
function assertJournalValid(fixture: HelperFixture): void {
  for (const line of readFileSync(fixture.journalFile, "utf8").split("\n").filter(Boolean)) {
    assert.ok(journalRecordSchema.safeParse(JSON.parse(line)).success, `journal line ${line}`);
  }
}

const facts = { pciId: "0x144d:0xa808", identity: { serial: "S1", eui64: "e1" } };
/** Journal lines the helper never writes, each of which used to stop it, mislead it, or reach sysfs unchecked. */
const hostileLines: Array<[string, string]> = [
  ["a null line", "null"],
  ["a number", "5"],
  ["a begin without identity", JSON.stringify({ type: "begin", txn: 40, op: "bind", bdf: TEST_BDF, pciId: facts.pciId })],
  ["a begin with a path as bdf", JSON.stringify({ type: "begin", txn: 41, op: "bind", bdf: "../../x", ...facts })],
  ["a begin with a non-numeric txn", JSON.stringify({ type: "begin", txn: "7", op: "bind", bdf: TEST_BDF, ...facts })],
  ["a begin with an unknown field", JSON.stringify({ type: "begin", txn: 42, op: "bind", bdf: TEST_BDF, ...facts, force: true })],
  ["an end of a transaction never begun", JSON.stringify({ type: "end", txn: 43, outcome: "ok" })],
  ["a line that is not JSON", "{this is not json"],
  ["an empty object", "{}"],
];

let fixture: HelperFixture;
afterEach(() => fixture.remove());

describe("nt-nvme-helper undo journal", { skip: skipWithoutLoopDevices("bind claims the namespace's block device, a loop device in these tests") }, () => {
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
    assert.match(first[0] ?? "", /^NOT repaired after a crash, left for the next start: place of /);
    // The compaction renumbered the journal (the device's identity first, then the placement): a
    // new transaction that reused the placement's number would close it with its own end.
    await monitor.restore({ device: TEST_BDF });
    const second = await fixture.monitor().repair();
    assert.equal(second.length, 1, `the placement is still open at the next start: ${second.join("; ")}`);
    assert.match(second[0] ?? "", /^NOT repaired after a crash, left for the next start: place of /);
  });

  for (const [what, line] of hostileLines) {
    it(`sets aside ${what} in the quarantine file, logs it, and still repairs the open bind around it`, async () => {
      fixture = makeHelperFixture();
      crashDuring(fixture, "bind", "bind:unbind");
      insertLines(fixture, [line], "before");
      insertLines(fixture, [line === "null" ? "5" : "null"], "after");
      const kernel = FakeKernelSysfs.reopen(fixture.sysfsRoot, fixture.devices);
      const notes = await fixture.monitor({ sysfs: kernel }).repair();
      assert.equal(notes.filter((note) => /^journal line \d+ set aside in .*\.quarantine: /.test(note)).length, 2, notes.join("\n"));
      assert.ok(notes.some((note) => note.startsWith(`repaired after a crash: bind of ${TEST_BDF} `)), notes.join("\n"));
      assert.equal(fixture.monitor({ sysfs: kernel }).status({}).devices[0]?.driver, "nvme");
      assert.deepEqual(quarantined(fixture).map((bad) => bad.text).sort(), [line, line === "null" ? "5" : "null"].sort());
      assertJournalValid(fixture);
      assert.deepEqual(await fixture.monitor({ sysfs: kernel }).repair(), [], "set aside once, not at every start");
    });
  }

  it("numbers transactions after the valid records only (a line 5 made them NaN, written as txn null)", () => {
    fixture = makeHelperFixture();
    writeFileSync(fixture.journalFile, `${JSON.stringify({ type: "begin", txn: 3, op: "restore", bdf: TEST_BDF, ...facts })}\n5\n` +
      `${JSON.stringify({ type: "end", txn: 3, outcome: "ok" })}\n`);
    const journal = new UndoJournal(fixture.journalFile);
    const { records, rejected } = journal.read();
    assert.deepEqual(records.map((record) => record.txn), [3, 3]);
    assert.deepEqual(rejected.map((bad) => bad.line), [2]);
    assert.equal(journal.begin({ op: "bind", bdf: TEST_BDF, ...facts }), 4);
  });

  it("never lets a journal bdf like ../../../../outside reach the filesystem", async () => {
    fixture = makeHelperFixture();
    // What the old repair would have found there: a PCI device's files, outside the sysfs root.
    const outside = path.join(fixture.dir, "outside");
    mkdirSync(outside);
    writeFileSync(path.join(outside, "class"), "0x010802\n");
    writeFileSync(path.join(outside, "driver_override"), "untouched\n");
    const seen: string[] = [];
    const kernel = FakeKernelSysfs.reopen(fixture.sysfsRoot, fixture.devices);
    for (const method of ["readDevice", "driverOf", "setDriverOverride", "unbind", "probe"] as const) {
      const original = kernel[method].bind(kernel) as (bdf: string, ...rest: never[]) => unknown;
      (kernel as unknown as Record<string, unknown>)[method] = (bdf: string, ...rest: never[]) => {
        seen.push(bdf);
        return original(bdf, ...rest);
      };
    }
    writeFileSync(fixture.journalFile, `${JSON.stringify({ type: "begin", txn: 1, op: "bind", bdf: "../../../../outside", ...facts })}\n`);
    const notes = await fixture.monitor({ sysfs: kernel }).repair();
    assert.match(notes.join("\n"), /journal line 1 set aside .*bdf/);
    assert.deepEqual(seen.filter((bdf) => bdf !== TEST_BDF), []);
    assert.equal(readFileSync(path.join(outside, "driver_override"), "utf8"), "untouched\n");
  });

  it("starts with an open bind of a device that is gone, repairs the others, and keeps the gone one open", async () => {
    fixture = makeHelperFixture();
    const gone = "0000:02:00.0";
    fixture.config.devices.push({ bdf: gone, serial: "S2", imageArea: { startLba: 2048, sizeBytes: 1 << 30 } });
    crashDuring(fixture, "bind", "bind:probe");
    insertLines(fixture, [JSON.stringify({ type: "begin", txn: 50, op: "bind", bdf: gone, pciId: facts.pciId, identity: { serial: "S2" } })], "before");
    const kernel = FakeKernelSysfs.reopen(fixture.sysfsRoot, fixture.devices);
    const notes = await fixture.monitor({ sysfs: kernel }).repair();
    assert.equal(notes.length, 2, notes.join("\n"));
    assert.match(notes[0] ?? "", new RegExp(`^NOT repaired after a crash, left for the next start: bind of ${gone} \\(txn 50\\): NT_E_NOT_FOUND`));
    assert.match(notes[1] ?? "", new RegExp(`^repaired after a crash: bind of ${TEST_BDF} `));
    assert.equal(fixture.monitor({ sysfs: kernel }).status({}).devices[0]?.driver, "nvme");
    const again = await fixture.monitor({ sysfs: kernel }).repair();
    assert.equal(again.length, 1, "still open at the next start");
    assert.match(again[0] ?? "", new RegExp(`^NOT repaired after a crash, left for the next start: bind of ${gone} `));
  });

  it("does not follow a symlink at journal.tmp when it rewrites the journal", async () => {
    fixture = makeHelperFixture();
    await fixture.monitor().bind({ device: TEST_BDF });
    const victim = path.join(fixture.dir, "victim");
    writeFileSync(victim, "precious\n");
    symlinkSync(victim, `${fixture.journalFile}.tmp`);
    await fixture.monitor().repair();
    assert.equal(readFileSync(victim, "utf8"), "precious\n");
    assert.ok(lstatSync(fixture.journalFile).isFile(), "the journal is a file, not the link renamed");
    assert.equal(existsSync(`${fixture.journalFile}.tmp`), false);
    assertJournalValid(fixture);
  });

  it("ignores a torn last line (a crash mid-append announced nothing)", async () => {
    fixture = makeHelperFixture();
    await fixture.monitor().bind({ device: TEST_BDF });
    const { appendFileSync } = await import("node:fs");
    appendFileSync(fixture.journalFile, '{"type":"begin","txn":99,"op":"bi');
    assert.deepEqual(await fixture.monitor().repair(), []);
  });
});
