// `ntctl bench` end to end, as a user runs it: the offline verb loads the engine in its own process
// (no daemon) and measures a generated model on the CPU backend, resident and with forced tiers.
import assert from "node:assert/strict";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { after, before, describe, it } from "node:test";
import type { BenchModel, BenchReport } from "../ctl/bench/BenchReport.js";
import { randomLlamaWriter } from "../scripts/gguf/randomLlamaWriter.js";
import { forcedBudgets } from "./support/forcedBudgets.js";
import { runNtctl } from "./support/runNtctl.js";


/** ntctl with these arguments (runNtctl). */
const ntctl = (...args: string[]) => runNtctl(args);

const SMALL = ["-p", "16", "-n", "4", "-r", "2", "--backend", "cpu", "-t", "2"];

async function benchJson(...args: string[]): Promise<BenchModel> {
  const run = await ntctl("bench", ...args, ...SMALL, "--json");
  assert.equal(run.code, 0, run.stderr);
  const report = JSON.parse(run.stdout) as BenchReport;
  assert.equal(report.models.length, 1);
  return report.models[0]!;
}

function assertSaneTests(m: BenchModel): void {
  assert.deepEqual(m.tests.map((t) => t.test), ["pp16", "tg4"]);
  for (const t of m.tests) {
    assert.equal(t.samples.length, 2, `${t.test}: one sample per repetition`);
    assert.ok(t.samples.every((s) => s > 0 && Number.isFinite(s)), `${t.test}: samples ${t.samples.join(", ")}`);
    assert.ok(Math.abs(t.mean - (t.samples[0]! + t.samples[1]!) / 2) < 1e-9 * t.mean);
    // Sample sd (n − 1) of two values is |a − b| / √2.
    assert.ok(Math.abs(t.sd - Math.abs(t.samples[0]! - t.samples[1]!) / Math.SQRT2) < 1e-9 * t.mean + 1e-12);
    assert.ok(t.bound !== null && t.bound > 0, `${t.test}: bound ${t.bound}`);
    assert.ok(t.ratio !== null && Math.abs(t.ratio - t.mean / t.bound) < 1e-12 * t.ratio);
    // Every timed pass is counted once: pp16 is one pass of 16 tokens, tg4 four passes of one.
    assert.equal(t.stagesPerPass.passes, 2 * t.passesPerRep, `${t.test}: passes`);
  }
  const [pp, tg] = m.tests;
  assert.equal(tg!.bound, m.boundTokS, "tg bound is the one-sequence decode bound");
  assert.equal(pp!.bound, 16 * m.boundTokS, "pp bound carries 16 tokens in its one pass");
}

describe("ntctl bench", { concurrency: 1 }, () => {
  let scratch: string;
  let model: string;
  let resident: BenchModel;

  before(async () => {
    scratch = await mkdtemp(path.join(tmpdir(), "ntctl-bench-"));
    model = path.join(scratch, "tiny-q4_k_m.gguf");
    // 12 blocks: more than a ring of staging slots holds, so forced budgets leave blocks to stream.
    await randomLlamaWriter({ shape: "tiny", mix: "q4_k_m", seed: 1, layers: 12 }).writeToFile(model);
    resident = await benchJson(model);
  });
  after(() => rm(scratch, { recursive: true, force: true }));

  it("reports pp and tg figures beside their bounds in --json", () => {
    assert.equal(resident.model, model);
    assert.equal(resident.backend, "cpu");
    assert.equal(resident.threads, 2);
    assert.deepEqual([resident.nCtx, resident.nBatch], [16 + 4 + 16, 16]);
    assert.ok(resident.bytes > 0 && resident.params > resident.bytes, "q4_k_m packs more than one parameter per byte");
    assert.ok(resident.budgets.vram > 0 && resident.budgets.pinned > 0);
    assert.equal(resident.tiers.c, 0, "a default budget keeps the tiny model resident");
    assert.ok(resident.links.vramGBps > 0 && resident.links.h2dGBps > 0);
    assert.ok(resident.boundTokS > 0 && Math.abs(resident.boundTokS - 1000 / resident.passMs) < 1e-6 * resident.boundTokS);
    assertSaneTests(resident);
    for (const t of resident.tests) assert.equal(t.stagesPerPass.bytesRead, 0, `${t.test}: nothing read when resident`);
  });

  it("streams tier C from storage under budgets forced from the resident placement", async () => {
    const { vramBudget, pinnedBudget } = forcedBudgets({ ...resident.placement, text: "" }, "mixed");
    const streamed = await benchJson(model, "--vram-budget", String(vramBudget), "--pinned-budget", String(pinnedBudget));
    assert.ok(streamed.tiers.c > 0, `tiers ${JSON.stringify(streamed.tiers)}`);
    assert.ok(streamed.boundTokS < resident.boundTokS, "streaming lowers the bound");
    assertSaneTests(streamed);
    for (const t of streamed.tests) {
      assert.ok(t.stagesPerPass.bytesRead > 0 && t.stagesPerPass.bytesCopied > 0, `${t.test}: ${JSON.stringify(t.stagesPerPass)}`);
    }
  });

  it("runs batched tests (--parallel) with N sequences' tokens beside N times the decode bound", async () => {
    const run = await ntctl("bench", model, ...SMALL, "--parallel", "1,4", "--parallel-prompt", "5", "--parallel-gen", "6",
      "--json");
    assert.equal(run.code, 0, run.stderr);
    const m = (JSON.parse(run.stdout) as BenchReport).models[0]!;
    assert.deepEqual(m.tests.map((t) => [t.test, t.sequences, t.tokens, t.passesPerRep]),
      [["pp16", 1, 16, 1], ["tg4", 1, 4, 4], ["pp5+tg6 x1", 1, 6, 6], ["pp5+tg6 x4", 4, 24, 6]]);
    // The batch holds the four prompts: one pass for them, then 5 passes of four tokens.
    assert.equal(m.nBatch, 20);
    // The KV pool: four sequences of 5 + 6 positions, a 16-position block each (64 positions),
    // not four contexts of 36; the pp/tg load's one context of 36 takes three blocks (48).
    assert.equal(m.placement.kvBytes / resident.placement.kvBytes, 64 / 48);
    for (const t of m.tests.slice(2)) {
      assert.ok(t.samples.length === 2 && t.samples.every((s) => s > 0 && Number.isFinite(s)), t.test);
      assert.equal(t.bound, t.sequences * m.boundTokS, `${t.test}: N × the one-sequence bound`);
      assert.ok(t.ratio !== null && Math.abs(t.ratio - t.mean / t.bound!) < 1e-12 * t.ratio);
      // Requests submitted together share their passes; the loop may start the first pass before
      // the last request arrives, which costs at most N − 1 passes more per repetition.
      const { passes } = t.stagesPerPass;
      assert.ok(passes >= 2 * t.passesPerRep && passes <= 2 * (t.passesPerRep + t.sequences - 1), `${t.test}: ${passes} passes`);
    }
  });

  it("prints a llama-bench table on stdout and the placement on stderr", async () => {
    const run = await ntctl("bench", model, ...SMALL);
    assert.equal(run.code, 0, run.stderr);
    const lines = run.stdout.split("\n");
    assert.equal(lines[0], "| model | size | params | backend | vram budget | pinned budget | tiers A/B/C | test | t/s | bound t/s | ratio |");
    assert.match(lines[2]!, /^\| tiny-q4_k_m\.gguf \| .* \| cpu \(2 threads\) \| .* \| pp16 \| [\d.]+ ± [\d.]+ \| [\d.]+ \| [\d.]+ % \|$/);
    assert.match(lines[3]!, /\| tg4 \|/);
    assert.match(run.stdout, /links \(measured at load\): pinned H2D .* GB\/s, storage read .* \(no tier C\), VRAM .* GB\/s/);
    assert.match(run.stdout, /tiny-q4_k_m\.gguf tg4 per pass: read .* ms, h2d .* ms, compute .* ms, stall .* ms/);
    assert.match(run.stderr, /blk\.11/, "the placement table goes to stderr");
  });

  for (const [args, flag] of [
    [["--vram-budget", "lots"], "--vram-budget"],
    [["--pinned-budget", "-1GiB"], "--pinned-budget"],
    [["-p", "0"], "-p/--n-prompt"],
    [["-r", "two"], "-r/--repetitions"],
    [["--parallel", "1,0"], "--parallel"],
  ] as const) {
    it(`exits 2 naming ${flag} for ${args.join(" ")}`, async () => {
      const run = await ntctl("bench", "/nonexistent/x.gguf", ...args, "--json");
      assert.equal(run.code, 2, run.stdout + run.stderr);
      const { error } = JSON.parse(run.stdout) as { error: { code: string; message: string } };
      assert.equal(error.code, "NT_E_BAD_REQUEST");
      assert.ok(error.message.includes(flag), error.message);
    });
  }

  it("exits 4 for a file that does not exist", async () => {
    const run = await ntctl("bench", path.join(scratch, "missing.gguf"), ...SMALL);
    assert.equal(run.code, 4, run.stderr);
    assert.match(run.stderr, /\[NT_E_NOT_FOUND\]/);
  });
});
