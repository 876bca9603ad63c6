import assert from "node:assert/strict";
import { writeFile } from "node:fs/promises";
import path from "node:path";
import { after, before, describe, it } from "node:test";
import { formatPlacement } from "../ctl/status/formatPlacement.js";
import { formatModelTable, formatStages } from "../ctl/status/formatStatus.js";
import { DaemonServer } from "../daemon/DaemonServer.js";
import { placementOf } from "../daemon/models/wireForms.js";
import type { ModelStatus } from "../protocol/verbs/modelStatus.js";
import { fakeEngine, type FakeEngine } from "./support/fakeEngine.js";
import { fakePlacement } from "./support/fakePlacement.js";
import { makeSocketDir } from "./support/makeSocketDir.js";
import { runNtctl } from "./support/runNtctl.js";


/** ntctl with these arguments (runNtctl). */
const ntctl = (...args: string[]) => runNtctl(args);

const GiB = 2 ** 30;
const MiB = 2 ** 20;

describe("ntctl placement options: usage errors", () => {
  for (const [args, flag] of [
    [["load", "/m/x.gguf", "--vram-budget", "lots"], "--vram-budget"],
    [["run", "/m/x.gguf", "hi", "--pinned-budget", "-1GiB"], "--pinned-budget"],
    [["chat", "/m/x.gguf", "--vram-budget", "9000000TiB"], "--vram-budget"],
    [["load", "/m/x.gguf", "--backend", "rocm"], "backend"],
  ] as const) {
    it(`exits 2 with NT_E_BAD_REQUEST naming ${flag} for "ntctl ${args.join(" ")}", before reaching a daemon`, async () => {
      const run = await ntctl("--socket", "/nonexistent/ntd.sock", ...args);
      assert.equal(run.code, 2, run.stderr);
      assert.match(run.stderr, /\[NT_E_BAD_REQUEST\]/);
      assert.ok(run.stderr.includes(flag), run.stderr);
    });
  }
});

describe("ntctl placement options against a daemon (fake engine)", () => {
  let dir: Awaited<ReturnType<typeof makeSocketDir>>;
  let engine: FakeEngine;
  let server: DaemonServer;
  let model: string;

  before(async () => {
    dir = await makeSocketDir();
    engine = fakeEngine({ tokenDelayMs: 1 });
    server = new DaemonServer({ socketPath: dir.socketPath, loadEngine: () => engine });
    await server.start();
    model = path.join(dir.dir, "tiered.gguf");
    await writeFile(model, JSON.stringify({ text: "ok" }));
  });

  after(async () => {
    await server.stop();
    await dir.remove();
  });

  it("load sends --backend, the budgets, --staging-slots and --kv-type as names, bytes and numbers", async () => {
    const run = await ntctl("--socket", dir.socketPath, "load", model, "--json", "--backend", "cpu",
      "--vram-budget", "1.5GiB", "--pinned-budget", "512MB", "--staging-slots", "4", "--kv-type", "f16");
    assert.equal(run.code, 0, run.stderr);
    assert.deepEqual(engine.loadOptions.at(-1),
      { maxSequences: 4, backend: "cpu", vramBudget: 1.5 * GiB, pinnedBudget: 512e6, stagingSlots: 4, kvType: "f16" });
    const loaded = JSON.parse(run.stdout) as { info: { backend: string; placement: { bytes: unknown } } };
    assert.equal(loaded.info.backend, "cpu");
    assert.deepEqual(loaded.info.placement.bytes, { vram: 640 * MiB, pinned: 256 * MiB, streamed: 256 * MiB });
    assert.equal((await ntctl("--socket", dir.socketPath, "unload", "tiered")).code, 0);
  });

  it("run loads with the placement options too", async () => {
    const run = await ntctl("--socket", dir.socketPath, "run", model, "hi", "--vram-budget", "4096", "--backend", "cuda");
    assert.equal(run.code, 0, run.stderr);
    assert.equal(run.stdout, "ok\n");
    assert.deepEqual(engine.loadOptions.at(-1), { maxSequences: 4, backend: "cuda", vramBudget: 4096 });
    assert.equal((await ntctl("--socket", dir.socketPath, "unload", "tiered")).code, 0);
  });

  it("a KV cache type other than f32, f16 or q8_0 is a usage error naming the choices", async () => {
    const run = await ntctl("--socket", dir.socketPath, "load", model, "--kv-type", "q4_0");
    assert.equal(run.code, 2);
    assert.match(run.stderr, /kv-type/);
    assert.match(run.stderr, /q8_0/);
  });

  it("fewer than 3 staging slots is NT_E_BAD_REQUEST naming the flag, exit 2", async () => {
    const run = await ntctl("--socket", dir.socketPath, "load", model, "--staging-slots", "2");
    assert.equal(run.code, 2);
    assert.match(run.stderr, /^ntctl: --staging-slots: .*\[NT_E_BAD_REQUEST\]/);
  });
});

describe("ntctl's placement formatting", () => {
  const placement = placementOf(fakePlacement());
  const base: ModelStatus = { name: "m", path: "/m/m.gguf", state: "loaded", active: 0, queued: 0, nCtx: 4096 };

  it("ps shows '-' for backend and tiers when the daemon reports no placement, and sizes humanized otherwise", () => {
    const table = formatModelTable([base, { ...base, name: "placed", backend: "cuda", placement }], Date.now()).split("\n");
    assert.match(table[1]!, /^m +loaded +- +- +- +- +4096 /);
    assert.match(table[2]!, /^placed +loaded +cuda +640 MiB +256 MiB +256 MiB +4096 /);
  });

  it("prints the engine's table as it is when the engine sends one", () => {
    assert.equal(formatPlacement(placement), fakePlacement().text.trimEnd());
  });

  it("prints stage timers without per-pass times before the first pass", () => {
    assert.equal(formatStages({ passes: 0, bytesRead: 0, bytesCopied: 0, readMs: 0, h2dMs: 0, computeMs: 0, stallMs: 0 }),
      "0 passes, 0 B read, 0 B copied");
  });
});
