// Issue 11, finding 3: uid nt must not be able to deny root the helper — connections per uid and
// in all are capped, idle connections closed, the queue bounded (root exempt from the caps and
// served first), and a request whose client hung up is skipped.
import assert from "node:assert/strict";
import { spawn, type ChildProcessWithoutNullStreams } from "node:child_process";
import { chmodSync, readdirSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { afterEach, describe, it } from "node:test";
import { helperLimitsSchema, type HelperLimits } from "../nvme-helper/config/helperConfigSchema.js";
import { HelperServer, type HelperServerOptions } from "../nvme-helper/HelperServer.js";
import { loadPeerCredentialsAddon, peerCredentials } from "../nvme-helper/peer/peerCredentials.js";
import { rateLimitedLog } from "../nvme-helper/rateLimitedLog.js";
import { HelperClient } from "../protocol/helper/HelperClient.js";
import { makeHelperFixture, TEST_BDF, type HelperFixture } from "./support/makeHelperFixture.js";
import { RawHelperConnection } from "./support/RawHelperConnection.js";
import { rejectionCode } from "./support/rejectionCode.js";

const peerChildMain = path.join(path.dirname(fileURLToPath(import.meta.url)), "support", "helperPeerChild.js");
const isRoot = process.getuid?.() === 0;
const needsRoot = !isRoot && "needs root to connect as another uid";
const NOBODY = 65534;
/** HelperClient's check of the helper's uid: the helper here runs as this test's uid. */
const asTestUid = { expectedServerUid: process.getuid?.() ?? 0 };

let fixture: HelperFixture;
let server: HelperServer | undefined;
let logLines: string[];
const children: ChildProcessWithoutNullStreams[] = [];

afterEach(async () => {
  for (const child of children.splice(0)) child.stdin.end();
  await server?.close();
  server = undefined;
  fixture.remove();
});

/** A helper on the fixture's machine (or `monitor`) with these limits, reachable by any local user; returns its socket. */
async function startHelper(limits: Partial<HelperLimits>, monitor?: HelperServerOptions["monitor"]): Promise<string> {
  loadPeerCredentialsAddon();
  fixture = makeHelperFixture();
  fixture.config.allowedUids = [NOBODY];
  fixture.config.limits = helperLimitsSchema.parse(limits);
  chmodSync(fixture.dir, 0o755);
  const socketPath = path.join(fixture.dir, "helper.sock");
  logLines = [];
  server = new HelperServer({ config: fixture.config, monitor: monitor ?? fixture.monitor(), credentialsOf: peerCredentials, log: (line) => logLines.push(line) });
  await server.listen({ path: socketPath, mode: 0o777 });
  return socketPath;
}

/** One line helperPeerChild printed. */
interface PeerLine {
  conn?: number;
  message?: { kind: string; id?: number; error?: { code: string } };
  closed?: boolean;
  ready?: boolean;
}

/** helperPeerChild as uid nobody: one connection per entry of `requests` (null: connect only). */
function peersAsNobody(socketPath: string, requests: Array<Record<string, unknown> | null>) {
  const child = spawn(process.execPath, [peerChildMain, socketPath, JSON.stringify(requests)], { uid: NOBODY, gid: NOBODY, cwd: "/" });
  children.push(child);
  const lines: PeerLine[] = [];
  let partial = "";
  child.stdout.setEncoding("utf8").on("data", (text: string) => {
    const parts = (partial + text).split("\n");
    partial = parts.pop() ?? "";
    lines.push(...parts.map((line) => JSON.parse(line) as PeerLine));
  });
  return { lines, until: (what: string, test: (lines: PeerLine[]) => boolean) => waitFor(what, () => test(lines)) };
}

/** Polls `test` until it holds, or fails naming `what` after 5 s. */
async function waitFor(what: string, test: () => boolean): Promise<void> {
  for (const end = Date.now() + 5000; !test();) {
    if (Date.now() > end) assert.fail(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** A stand-in for HelperMonitor whose bind waits for open(); records the verbs it ran, in order. */
function gatedMonitor() {
  let open: () => void = () => {};
  const gate = new Promise<void>((resolve) => { open = resolve; });
  const calls: string[] = [];
  const monitor = {
    status: () => { calls.push("status"); return { devices: [] }; },
    restore: async () => { calls.push("restore"); return { devices: [] }; },
    bind: async () => { calls.push("bind"); await gate; return { device: {} }; },
    place: async () => assert.fail("no place here"),
    openImage: () => assert.fail("no open-image here"),
  } as unknown as HelperServerOptions["monitor"];
  return { monitor, calls, open };
}

const request = (id: number, verb: string, params: Record<string, unknown> = {}) => ({ kind: "request", id, verb, params });

describe("nt-nvme-helper limits", () => {
  for (const limits of [{ maxConnectionsPerUid: 2 }, { maxConnections: 2 }]) {
    it(`refuses a third connection of uid nobody with NT_E_BUSY at ${JSON.stringify(limits)}, while root still gets status`, { skip: needsRoot }, async () => {
      const socketPath = await startHelper(limits);
      const peers = peersAsNobody(socketPath, [null, null, null]);
      await peers.until("one connection refused", (lines) => lines.some((line) => line.closed));
      await sleep(100);
      const refused = peers.lines.filter((line) => line.message);
      assert.equal(refused.length, 1, JSON.stringify(peers.lines));
      assert.deepEqual({ kind: refused[0]?.message?.kind, id: refused[0]?.message?.id, code: refused[0]?.message?.error?.code },
        { kind: "error", id: undefined, code: "NT_E_BUSY" });
      assert.deepEqual(peers.lines.filter((line) => line.closed).map((line) => line.conn), [refused[0]?.conn], "the two others stay open");
      assert.match(logLines.join("\n"), new RegExp(`refused connection uid=${NOBODY} gid=${NOBODY} pid=\\d+ outcome=NT_E_BUSY`));
      const root = await HelperClient.connect(socketPath);
      try {
        assert.equal((await root.request("status", {})).devices[0]?.bdf, TEST_BDF);
      } finally {
        root.close();
      }
    });
  }

  it("lets at most 32 refused connections linger: a peer reconnecting in a loop cannot hold the helper's fds", { skip: needsRoot }, async () => {
    const socketPath = await startHelper({ maxConnectionsPerUid: 1 });
    const openFds = () => readdirSync("/proc/self/fd").length;
    const before = openFds();
    const peers = peersAsNobody(socketPath, Array.from({ length: 60 }, () => null));
    await peers.until("59 refusals", (lines) => lines.filter((line) => line.message?.error?.code === "NT_E_BUSY").length === 59);
    // This process is the helper: its end of each connection still open is one fd (the peer's ends
    // are in the child); the child's stdin, stdout and stderr pipes are three more.
    const held = openFds() - before;
    assert.ok(held <= 1 + 32 + 3, `the helper holds ${held} fds for 1 admitted and 59 refused connections`);
  });

  it("logs at most 10 refusal lines a second; the next line says how many were left out", async () => {
    const lines: string[] = [];
    const log = rateLimitedLog((line) => lines.push(line), 10);
    for (let i = 0; i < 25; i++) log(`refused ${i}`);
    assert.deepEqual(lines, Array.from({ length: 10 }, (_, i) => `refused ${i}`));
    await sleep(1050);
    log("refused again");
    assert.equal(lines.at(-1), "refused again (15 similar lines left out before this one)");
  });

  it("closes a connection idle for limits.idleTimeoutMs with NT_E_TIMEOUT; each answer restarts the clock", async () => {
    const socketPath = await startHelper({ idleTimeoutMs: 300 });
    const client = await HelperClient.connect(socketPath, asTestUid);
    try {
      for (let i = 0; i < 3; i++) {
        await sleep(150);
        assert.equal((await client.request("status", {})).devices.length, 1, "not idle: a request every 150 ms");
      }
      await sleep(500);
      assert.equal(await rejectionCode(client.request("status", {})), "NT_E_TIMEOUT");
    } finally {
      client.close();
    }
    assert.match(logLines.join("\n"), /closed idle connection uid=\d+ pid=\d+ after 300 ms outcome=NT_E_TIMEOUT/);
  });

  it("skips a queued request whose client hung up before its turn", async () => {
    const { monitor, calls, open } = gatedMonitor();
    const socketPath = await startHelper({}, monitor);
    const binder = RawHelperConnection.open(socketPath);
    binder.send(request(1, "bind", { device: TEST_BDF }));
    await waitFor("the bind to run", () => calls.includes("bind"));
    const quitter = RawHelperConnection.open(socketPath);
    quitter.send(request(1, "status"));
    await sleep(100);
    quitter.destroy();
    await sleep(100);
    open();
    assert.equal(((await binder.next()).message as { kind: string }).kind, "result");
    binder.destroy();
    await sleep(50);
    assert.deepEqual(calls, ["bind"], "the status of the client that left never ran");
    assert.match(logLines.join("\n"), /skipped uid=\d+ pid=\d+ verb=status device=all: the client hung up before its turn/);
  });

  for (const limits of [{ maxQueuedPerUid: 2 }, { maxQueued: 2 }]) {
    it(`answers uid nobody's third queued request NT_E_BUSY at ${JSON.stringify(limits)}; root is not counted and goes first`, { skip: needsRoot }, async () => {
      const { monitor, calls, open } = gatedMonitor();
      const socketPath = await startHelper(limits, monitor);
      const binder = RawHelperConnection.open(socketPath);
      binder.send(request(1, "bind", { device: TEST_BDF }));
      await waitFor("root's bind to run", () => calls.includes("bind"));
      const peers = peersAsNobody(socketPath, [request(7, "status"), request(7, "status"), request(7, "status")]);
      await peers.until("a refused request", (lines) => lines.some((line) => line.message));
      const restorer = RawHelperConnection.open(socketPath);
      restorer.send(request(1, "restore"));
      await sleep(100);
      const refused = peers.lines.filter((line) => line.message);
      assert.equal(refused.length, 1, JSON.stringify(peers.lines));
      assert.deepEqual({ id: refused[0]?.message?.id, code: refused[0]?.message?.error?.code }, { id: 7, code: "NT_E_BUSY" },
        "an answer to that request: the connection stays");
      assert.ok(!peers.lines.some((line) => line.closed));
      open();
      await peers.until("the two queued statuses answered", (lines) => lines.filter((line) => line.message?.kind === "result").length === 2);
      assert.equal(((await restorer.next()).message as { kind: string }).kind, "result");
      assert.deepEqual(calls, ["bind", "restore", "status", "status"]);
      binder.destroy();
      restorer.destroy();
    });
  }
});
