import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { chmodSync, mkdirSync, writeFileSync } from "node:fs";
import path from "node:path";
import { afterEach, beforeEach, describe, it } from "node:test";
import { fileURLToPath } from "node:url";
import { HelperLifetime, type HelperLifetimeOptions } from "../nvme-helper/HelperLifetime.js";
import { makeHelperFixture, TEST_BDF, type HelperFixture } from "./support/makeHelperFixture.js";

const helperMain = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../nvme-helper/main.js");
const delay = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** A machine of one allowlisted device whose namespace and by-path link the test sets, and what the lifetime did. */
interface Machine {
  namespace: string | undefined;
  link: string | undefined;
  /** What happened, in order: "stop listening", then "exit: <reason>". */
  events: string[];
  /** When exit was called (Date.now()), or undefined. */
  exitedAt: number | undefined;
}

let machine: Machine;
let lifetime: HelperLifetime | undefined;

/** A lifetime over `machine`, checked every 10 ms. */
function startLifetime(options: Partial<HelperLifetimeOptions> = {}): HelperLifetime {
  lifetime = new HelperLifetime({
    idleMs: 60_000, devices: [TEST_BDF], checkEveryMs: 10, settleMs: 1000,
    namespaceDevNumber: (bdf) => (bdf === TEST_BDF ? machine.namespace : undefined),
    linkDevNumber: (bdf) => (bdf === TEST_BDF ? machine.link : undefined),
    stopListening: () => machine.events.push("stop listening"),
    exit: (reason) => {
      machine.events.push(`exit: ${reason}`);
      machine.exitedAt = Date.now();
    },
    ...options,
  });
  lifetime.start();
  return lifetime;
}

/** Waits up to `ms` for exit; returns whether it came. */
async function exitWithin(ms: number): Promise<boolean> {
  const deadline = Date.now() + ms;
  while (machine.exitedAt === undefined && Date.now() < deadline) await delay(5);
  return machine.exitedAt !== undefined;
}

describe("HelperLifetime (when a socket-activated helper exits)", () => {
  beforeEach(() => {
    machine = { namespace: "259:0", link: "259:0", events: [], exitedAt: undefined };
  });
  afterEach(() => {
    lifetime?.stop();
    lifetime = undefined;
  });

  it("exits after idleMs with no connection and no verb, having stopped listening first", async () => {
    const started = Date.now();
    startLifetime({ idleMs: 100 });
    assert.ok(await exitWithin(2000), "it exits");
    assert.ok((machine.exitedAt ?? 0) - started >= 100, "not before idleMs");
    assert.deepEqual(machine.events, ["stop listening", "exit: idle for 0.1 s"]);
  });

  it("stays while a connection is open, and counts idleMs from its close", async () => {
    const connection = { closed: false };
    startLifetime({ idleMs: 100 }).track(connection);
    assert.equal(await exitWithin(300), false, "no exit with a connection open");
    connection.closed = true;
    const closedAt = Date.now();
    assert.ok(await exitWithin(2000));
    // The close is seen at the next check (every 10 ms), so idleness may start up to 10 ms early.
    assert.ok((machine.exitedAt ?? 0) - closedAt >= 90, "idleMs counted from the close");
  });

  it("stays while work that outlives its connection runs (a data-plane session), and counts idleMs from its end", async () => {
    let sessions = 1;
    startLifetime({ idleMs: 100, busy: () => sessions > 0 });
    assert.equal(await exitWithin(300), false, "no exit while a session runs");
    sessions = 0;
    const endedAt = Date.now();
    assert.ok(await exitWithin(2000));
    assert.ok((machine.exitedAt ?? 0) - endedAt >= 90, "idleMs counted from the session's end");
  });

  it("stays while a verb runs after its client hung up, and passes results, errors and `this` through", async () => {
    let finish = () => {};
    const monitor = {
      name: "monitor",
      status() { return this.name; },
      async place() { await new Promise<void>((resolve) => { finish = resolve; }); return "placed"; },
      bind() { throw new Error("refused"); },
    };
    const watched = startLifetime({ idleMs: 100 }).watch(monitor);
    assert.equal(watched.status(), "monitor");
    assert.throws(() => watched.bind(), /refused/);
    const placing = watched.place();
    assert.equal(await exitWithin(300), false, "no exit while place runs");
    finish();
    assert.equal(await placing, "placed");
    assert.ok(await exitWithin(2000), "exits once it is done");
  });

  it("exits at once, once udev has linked it, when a namespace came back as another block device", async () => {
    startLifetime();
    // A bind → restore cycle: off nvme (no namespace), then back with another minor.
    machine.namespace = undefined;
    machine.link = undefined;
    assert.equal(await exitWithin(100), false, "off nvme there is nothing the sandbox should admit");
    machine.namespace = "259:3";
    await delay(100);
    assert.deepEqual(machine.events, ["stop listening"], "it stops taking connections at once, then waits for udev");
    const linkedAt = Date.now();
    machine.link = "259:3";
    assert.ok(await exitWithin(2000));
    assert.ok((machine.exitedAt ?? 0) >= linkedAt, "not before the link points at the new node");
    assert.match(machine.events[1] ?? "", /^exit: 0000:01:00\.0's namespace is block device 259:3, and this process's DeviceAllow= admitted 259:0$/);
  });

  it("exits after settleMs even if udev never links the namespace that came back", async () => {
    startLifetime({ settleMs: 200 });
    const changedAt = Date.now();
    machine.namespace = "259:3";
    machine.link = undefined;
    assert.ok(await exitWithin(2000));
    assert.ok((machine.exitedAt ?? 0) - changedAt >= 200, "it waited settleMs for udev");
    assert.equal(machine.events[0], "stop listening");
    assert.match(machine.events[1] ?? "", /^exit: .*namespace is block device 259:3/);
  });

  it("stays when the namespace came back as the same block device, or was never linked and did not change", async () => {
    startLifetime();
    machine.namespace = undefined;
    await delay(50);
    machine.namespace = "259:0";
    assert.equal(await exitWithin(200), false, "the same node: the sandbox still admits it");
    lifetime?.stop();
    machine = { namespace: "259:0", link: undefined, events: [], exitedAt: undefined };
    startLifetime();
    assert.equal(await exitWithin(200), false, "no link (no udev, or no namespace 1): a restart would not help");
  });

  it("exits once udev links a namespace that was not linked yet when the process started", async () => {
    // Started just after a restore, before udev made the link: DeviceAllow= admitted nothing.
    machine = { namespace: "259:3", link: undefined, events: [], exitedAt: undefined };
    startLifetime();
    assert.equal(await exitWithin(100), false);
    machine.link = "259:3";
    assert.ok(await exitWithin(2000));
    assert.match(machine.events[1] ?? "", /admitted none$/);
  });
});

describe("nt-nvme-helper --exit-when-idle", () => {
  let fixture: HelperFixture;
  let configFile: string;
  beforeEach(() => {
    fixture = makeHelperFixture();
    const etc = path.join(fixture.dir, "etc");
    mkdirSync(etc, { mode: 0o755 });
    chmodSync(fixture.dir, 0o755);
    configFile = path.join(etc, "helper.json");
    writeFileSync(configFile, JSON.stringify(fixture.config), { mode: 0o644 });
  });
  afterEach(() => fixture.remove());

  /** Runs the helper binary over the fixture with `args`, calling `whileServing` once it serves; resolves with its exit code and stderr. */
  function runHelper(args: string[], whileServing: () => void = () => {}): Promise<{ code: number | null; stderr: string; ms: number }> {
    const started = Date.now();
    const helper = spawn(process.execPath, [helperMain, "--socket", path.join(fixture.dir, "helper.sock"), "--config", configFile,
      "--sysfs-root", fixture.sysfsRoot, "--proc-root", fixture.procRoot, "--dev-root", fixture.devRoot, "--journal", fixture.journalFile, ...args],
    { stdio: ["ignore", "ignore", "pipe"] });
    let stderr = "";
    helper.stderr.on("data", (chunk: Buffer) => {
      stderr += chunk.toString();
      if (chunk.toString().includes("serving")) whileServing();
    });
    const killer = setTimeout(() => helper.kill("SIGKILL"), 10_000);
    return new Promise((resolve) => helper.on("exit", (code) => {
      clearTimeout(killer);
      resolve({ code, stderr, ms: Date.now() - started });
    }));
  }

  it("exits 0 on its own once idle for that many seconds", async () => {
    const { code, stderr } = await runHelper(["--exit-when-idle", "0.3"]);
    assert.equal(code, 0, stderr);
    assert.match(stderr, /exiting \(idle for 0.3 s\); the next connection starts it again/);
  });

  it("exits long before the idle time when the allowlisted namespace becomes another block device", async () => {
    const dev = path.join(fixture.sysfsRoot, "bus/pci/devices", TEST_BDF, "nvme/nvme0/nvme0n1/dev");
    const { code, stderr, ms } = await runHelper(["--exit-when-idle", "60"], () => writeFileSync(dev, "259:7\n"));
    assert.equal(code, 0, stderr);
    assert.match(stderr, /exiting \(0000:01:00\.0's namespace is block device 259:7, and this process's DeviceAllow= admitted none\)/);
    assert.ok(ms < 9000, `it took ${ms} ms`);
  });

  it("refuses a value that is not a number of seconds above 0", async () => {
    for (const value of ["0", "-1", "soon"]) {
      const { code, stderr } = await runHelper([`--exit-when-idle=${value}`]);
      assert.equal(code, 1);
      assert.match(stderr, /--exit-when-idle takes a number of seconds above 0.*\[NT_E_BAD_REQUEST\]/);
    }
  });
});
