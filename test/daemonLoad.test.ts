import assert from "node:assert/strict";
import { readFile, writeFile } from "node:fs/promises";
import net from "node:net";
import path from "node:path";
import { performance } from "node:perf_hooks";
import { after, before, describe, it } from "node:test";
import v8 from "node:v8";
import vm from "node:vm";
import { NtClient } from "../ctl/NtClient.js";
import { DaemonServer } from "../daemon/DaemonServer.js";
import { LISTEN_BACKLOG } from "../daemon/listenBacklog.js";
import { NtError } from "../protocol/NtError.js";
import { capturingLogger } from "./support/capturingLogger.js";
import { fakeEngine, type FakeEngine } from "./support/fakeEngine.js";
import { makeSocketDir } from "./support/makeSocketDir.js";
import { RawConnection } from "./support/RawConnection.js";
import { startTestDaemon, type TestDaemon } from "./support/startTestDaemon.js";

/** Polls until `condition` holds; fails the test after `timeoutMs`. */
async function until(condition: () => boolean, what: string, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) assert.fail(`timed out waiting until ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

/** mulberry32: a small seeded PRNG, so a failing run can be replayed. */
function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Opens a connection that never says anything; resolves once connected. */
function openIdle(socketPath: string): Promise<net.Socket> {
  return new Promise((resolve, reject) => {
    const socket = net.createConnection(socketPath, () => resolve(socket));
    socket.once("error", reject);
  });
}

/** Rejects with a test failure after `ms`, unless `promise` settles first. */
async function within<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_resolve, reject) => {
    timer = setTimeout(() => reject(new assert.AssertionError({ message: `${what} did not end within ${ms} ms` })), ms);
  });
  try {
    return await Promise.race([promise, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

/**
 * A forced full GC. `--expose-gc` is not on `node --test`'s command line, so the flag is set at
 * run time; a fresh context then sees `gc`. Undefined if this Node refuses (the check is skipped).
 */
function forcedGc(): (() => void) | undefined {
  v8.setFlagsFromString("--expose-gc");
  const gc: unknown = vm.runInNewContext("gc");
  return typeof gc === "function" ? gc as () => void : undefined;
}

/** Reads net.core.somaxconn, the kernel's cap on any listen backlog; undefined off Linux. */
async function readSomaxconn(): Promise<number | undefined> {
  try {
    return Number.parseInt(await readFile("/proc/sys/net/core/somaxconn", "utf8"), 10);
  } catch {
    return undefined;
  }
}

const IDLE_CONNECTIONS = 1000;
const CLIENTS = 64;
const REQUESTS_PER_CLIENT = 4;
const TEXT = "The quick brown fox jumps over the lazy dog";

type Outcome = "result" | "NT_E_CANCELLED" | "NT_E_BUSY";

describe("ntd under hostile and heavy load (fake engine, Unix socket)", () => {
  let daemon: TestDaemon;
  let dir: TestDaemon["dir"];
  let engine: FakeEngine;
  let server: DaemonServer;
  let log: ReturnType<typeof capturingLogger>;
  let client: NtClient;

  before(async () => {
    engine = fakeEngine({ tokenDelayMs: 2 });
    log = capturingLogger();
    daemon = await startTestDaemon({
      loadEngine: () => engine, logger: log.logger,
      // The idle connections must outlive their test here; the hello timeout has its own test below.
      helloTimeoutMs: 60_000,
      models: { maxSequences: 8, maxQueue: 96 },
    }, "daemonLoad.test");
    ({ dir, server, client } = daemon);
    const file = path.join(dir.dir, "fox.gguf");
    await writeFile(file, JSON.stringify({ text: TEXT }));
    await client.request("load", { model: file });
  });

  after(() => daemon.stop());

  /**
   * 64 clients, each with 4 generate requests at once, every request with a seeded random fate:
   * left alone, cancelled before it is sent, after a few tokens, or after a random delay (which
   * may find it queued). Returns how many ended which way; fails on any other outcome or a hang.
   */
  async function runLoad(seed: number): Promise<Record<Outcome, number> & { cancelsAsked: number }> {
    const random = seededRandom(seed);
    const counts = { result: 0, NT_E_CANCELLED: 0, NT_E_BUSY: 0, cancelsAsked: 0 };
    const clients = await Promise.all(Array.from({ length: CLIENTS }, (_, i) =>
      NtClient.connect({ socketPath: dir.socketPath, clientName: `load/${i}` })));
    const one = async (c: NtClient, n: number): Promise<void> => {
      const fate = Math.floor(random() * 4);
      const controller = new AbortController();
      if (fate === 1) controller.abort();
      const afterTokens = 1 + Math.floor(random() * 10);
      const delay = setTimeout(() => { if (fate === 3) controller.abort(); }, Math.floor(random() * 100));
      if (fate !== 0) counts.cancelsAsked++;
      const stream = c.generate({ model: "fox", prompt: `request ${n}` }, { signal: controller.signal });
      let tokens = 0;
      try {
        for await (const event of stream) if (event.type === "token" && ++tokens === afterTokens && fate === 2) controller.abort();
        assert.equal((await stream.result).text, TEXT);
        counts.result++;
      } catch (err) {
        assert.ok(err instanceof NtError, `not an NtError: ${String(err)}`);
        assert.ok(err.code === "NT_E_CANCELLED" || err.code === "NT_E_BUSY", `unexpected ${err.code}: ${err.message}`);
        if (err.code === "NT_E_CANCELLED") assert.notEqual(fate, 0, "a request nobody cancelled was cancelled");
        counts[err.code]++;
      } finally {
        clearTimeout(delay);
      }
    };
    try {
      await within(Promise.all(clients.flatMap((c, i) =>
        Array.from({ length: REQUESTS_PER_CLIENT }, (_, j) => one(c, i * REQUESTS_PER_CLIENT + j)))), 30_000, "the load");
    } finally {
      for (const c of clients) c.close();
    }
    return counts;
  }

  it(`accepts ${IDLE_CONNECTIONS} simultaneous connects and keeps serving a well-behaved client while they sit idle without a hello`, async (t) => {
    // ntd asks for a backlog of LISTEN_BACKLOG; the kernel caps it at somaxconn, and a Unix socket
    // refuses a connect beyond the backlog with EAGAIN, so a lower cap makes the burst fail here
    // however ntd is written.
    const somaxconn = await readSomaxconn();
    if (somaxconn === undefined || somaxconn < IDLE_CONNECTIONS) {
      return t.skip(`net.core.somaxconn is ${somaxconn ?? "unreadable"} (/proc/sys/net/core/somaxconn); ` +
        `${IDLE_CONNECTIONS} simultaneous connects need at least ${IDLE_CONNECTIONS}`);
    }
    assert.ok(LISTEN_BACKLOG >= IDLE_CONNECTIONS, `ntd's listen backlog (${LISTEN_BACKLOG}) holds the burst`);
    const connectedBefore = log.lines.filter((l) => l.includes(": connected")).length;
    const idle: net.Socket[] = [];
    const started = performance.now();
    try {
      // All at once, none awaited before the next: a Unix socket's connect completes once queued,
      // and libuv accepts queued connections only a few per loop turn, so this fills the backlog.
      const connects = await Promise.allSettled(Array.from({ length: IDLE_CONNECTIONS }, () => openIdle(dir.socketPath)));
      for (const connect of connects) if (connect.status === "fulfilled") idle.push(connect.value);
      const refused = connects.flatMap((c) => c.status === "rejected" ? [(c.reason as Error).message] : []);
      assert.equal(refused.length, 0, `${refused.length} of ${IDLE_CONNECTIONS} simultaneous connects were refused, e.g. ${refused[0]}`);
      await until(() => log.lines.filter((l) => l.includes(": connected")).length - connectedBefore >= IDLE_CONNECTIONS,
        `the daemon has accepted all ${IDLE_CONNECTIONS}`);
      const opened = performance.now() - started;
      const latencies: number[] = [];
      for (let i = 0; i < 20; i++) {
        const t0 = performance.now();
        await client.request("ping", {}, { timeoutMs: 2000 });
        await client.request("status", {}, { timeoutMs: 2000 });
        latencies.push(performance.now() - t0);
      }
      // A newcomer still gets in and is served.
      const newcomer = await NtClient.connect({ socketPath: dir.socketPath, timeoutMs: 2000 });
      await newcomer.request("ping", {});
      newcomer.close();
      const worst = Math.max(...latencies);
      t.diagnostic(`${IDLE_CONNECTIONS} idle connections opened in ${opened.toFixed(0)} ms; ping+status worst ${worst.toFixed(1)} ms`);
      // Loose: on loopback this is ~1 ms; the bound only catches a daemon stalled by its idle clients.
      assert.ok(worst < 1000, `ping+status took up to ${worst} ms`);
    } finally {
      for (const socket of idle) socket.destroy();
    }
    await until(() => log.lines.filter((l) => l.includes(": closed")).length >= IDLE_CONNECTIONS,
      `the daemon has closed all ${IDLE_CONNECTIONS}`);
    assert.equal((await client.request("ping", {})).pong, true);
  });

  it(`answers ${CLIENTS} clients × ${REQUESTS_PER_CLIENT} concurrent generates with random cancels, each with a result or a code, leaving nothing active`,
    { timeout: 60_000 }, async (t) => {
      const started = performance.now();
      const counts = await runLoad(0x5eed);
      const { result, NT_E_CANCELLED: cancelled, NT_E_BUSY: busy } = counts;
      t.diagnostic(`${JSON.stringify(counts)} in ${(performance.now() - started).toFixed(0)} ms`);
      assert.equal(result + cancelled + busy, CLIENTS * REQUESTS_PER_CLIENT);
      assert.ok(result > 0 && cancelled > 0, "the run exercised both completions and cancels");
      await until(() => server.models.list().every((m) => m.active === 0 && m.queued === 0), "no request is active or queued");
      await until(() => engine.models.every((m) => m.stats().active === 0), "the engine runs nothing");
      assert.equal((await client.request("generate", { model: "fox", prompt: "after" })).text, TEXT, "still serving");
    });

  it("has its heap back near its level before a load run once the run is over", { timeout: 60_000 }, async (t) => {
    const gc = forcedGc();
    // Without a forced GC the heap's size says nothing reliable; no assertion is better than a flaky one.
    if (!gc) return t.skip("cannot force a garbage collection in this Node");
    const settle = async () => {
      await new Promise((resolve) => setTimeout(resolve, 50));
      gc();
      gc();
      return process.memoryUsage();
    };
    const before = await settle();
    await runLoad(0xbeef);
    await until(() => server.models.list().every((m) => m.active === 0 && m.queued === 0), "no request is active or queued");
    const afterRun = await settle();
    const mib = (bytes: number) => (bytes / 2 ** 20).toFixed(1);
    t.diagnostic(`heapUsed ${mib(before.heapUsed)} → ${mib(afterRun.heapUsed)} MiB; rss ${mib(before.rss)} → ${mib(afterRun.rss)} MiB`);
    // heapUsed (client and daemon share this process) is what a leak of connections or requests
    // would grow; rss is only reported, as the allocator need not return freed pages to the system.
    assert.ok(afterRun.heapUsed - before.heapUsed < 16 * 2 ** 20,
      `heap grew by ${mib(afterRun.heapUsed - before.heapUsed)} MiB over one load run`);
  });
});

describe("ntd's hello timeout", () => {
  let dir: Awaited<ReturnType<typeof makeSocketDir>>;
  let server: DaemonServer;
  let log: ReturnType<typeof capturingLogger>;

  before(async () => {
    dir = await makeSocketDir();
    log = capturingLogger();
    server = new DaemonServer({ socketPath: dir.socketPath, loadEngine: () => fakeEngine(), logger: log.logger, helloTimeoutMs: 100 });
    await server.start();
  });

  after(async () => {
    await server.stop();
    await dir.remove();
  });

  it("drops a connection that sends no hello with one id-less NT_E_BAD_REQUEST and one log line", async () => {
    const raw = await RawConnection.open(dir.socketPath);
    const frame = await raw.next() as { kind: string; id?: number; error?: { code: string; message: string } };
    assert.deepEqual([frame.kind, frame.id, frame.error?.code], ["error", undefined, "NT_E_BAD_REQUEST"]);
    assert.match(frame.error?.message ?? "", /no hello within 100 ms/);
    await raw.closed;
    assert.equal(log.lines.filter((l) => l.includes("no hello within")).length, 1);
  });

  it("leaves a connection that said hello alone", async () => {
    const client = await NtClient.connect({ socketPath: dir.socketPath });
    await new Promise((resolve) => setTimeout(resolve, 250));
    assert.equal((await client.request("ping", {})).pong, true);
    client.close();
  });
});
