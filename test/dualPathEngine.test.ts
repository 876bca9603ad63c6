// The dual path on the real engine, CPU backend (issue 13): the "device" layers run on the CPU
// backend through the same segment scheduling as on a GPU, so forced splits must give the plain
// run's logits and greedy tokens exactly, for quantized models too (the CPU's blocks quantize their
// activations as the CPU backend always does); a load with dualPath "on" calibrates the CPU, caches
// the figures and reports them in the placement; "auto", the default, plans as off on this backend.
import assert from "node:assert/strict";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, it } from "node:test";
import type { NativeModelOptions } from "../cuda-engine/js/EngineBinding.js";
import { loadEngine } from "../cuda-engine/js/loadEngine.js";
import { randomLlamaWriter } from "../scripts/gguf/randomLlamaWriter.js";
import { forcedBudgets } from "./support/forcedBudgets.js";
import { greedyTokens } from "./support/greedyTokens.js";

const scratch = await mkdtemp(join(tmpdir(), "dual-path-"));
const engine = loadEngine();
after(() => rm(scratch, { recursive: true, force: true }));

const LAYERS = 8;
const BASE: NativeModelOptions = { backend: "cpu", threads: 2, nCtx: 256, nBatch: 16 };
const TOKENS = Array.from({ length: 30 }, (_, i) => (i * 37 + 11) % 512);

const files = new Map<string, Promise<string>>();

/** A random tiny llama of LAYERS blocks in `mix`, written once per test file. */
function modelFile(mix: "q4_k_m" | "q8_0"): Promise<string> {
  let file = files.get(mix);
  if (!file) {
    const path = join(scratch, `${mix}.gguf`);
    file = randomLlamaWriter({ shape: "tiny", mix, seed: 9, layers: LAYERS }).writeToFile(path).then(() => path);
    files.set(mix, file);
  }
  return file;
}

async function run(path: string, options: NativeModelOptions) {
  const model = await engine.loadModel(path, { ...BASE, ...options });
  try {
    return { logits: await model.evaluate(TOKENS, 7), greedy: await greedyTokens(model, TOKENS.slice(0, 8), 16),
      info: model.info(), stages: model.stats().stages };
  } finally {
    await model.dispose();
  }
}

describe("CPU pipeline: every dual-path split gives the plain logits", { concurrency: 1 }, () => {
  for (const mix of ["q4_k_m", "q8_0"] as const) {
    it(`${mix}: all G, all C, alternating, CPU first and last, resident and streamed`, async () => {
      const path = await modelFile(mix);
      const plain = await run(path, {});
      assert.equal(plain.info.placement.dualPath, undefined);
      const streamed = forcedBudgets(plain.info.placement, "all-b");
      const patterns = ["GGGGGGGG", "CCCCCCCC", "GCGCGCGC", "CGCGCGCG", "CGGGGGGG", "GGGGGGGC"];
      for (const [dualPattern, budgets] of [...patterns.map((p) => [p, {}] as const), ["GCGCGCGC", streamed] as const]) {
        const dual = await run(path, { dualPattern, ...budgets });
        assert.equal(dual.info.placement.dualPath?.layers, dualPattern);
        assert.equal(dual.info.placement.totals.d > 0, dualPattern.includes("C"), dualPattern);
        assert.deepEqual(dual.logits, plain.logits, `${dualPattern}: logits differ`);
        assert.deepEqual(dual.greedy, plain.greedy, `${dualPattern}: greedy tokens differ`);
        // A forced split without calibration takes it every pass (issue 13: stats count them).
        assert.equal(dual.stages.splitPasses, dualPattern.includes("C") ? dual.stages.passes : 0, dualPattern);
        assert.equal(dual.info.placement.dualPath?.splitMaxTokens, undefined, dualPattern);
      }
      assert.equal(plain.stages.splitPasses, undefined);
    });
  }

  it("refuses a pattern of the wrong length or letters with NT_E_BAD_REQUEST", async () => {
    const path = await modelFile("q8_0");
    for (const dualPattern of ["GCG", "GCGCGCGX"]) {
      await assert.rejects(engine.loadModel(path, { ...BASE, dualPattern }), (err: { code?: string }) => err.code === "NT_E_BAD_REQUEST");
    }
    // Options are converted before the load starts: a bad one throws at once, as a bad image does.
    assert.throws(() => engine.loadModel(path, { ...BASE, dualPath: "sometimes" as never }),
      (err: { code?: string; message?: string }) => err.code === "NT_E_BAD_REQUEST" && /dualPath/.test(err.message ?? ""));
  });

  it("dualPath auto, the default, plans as off on the CPU backend, resident or streamed, and calibrates nothing", async () => {
    const path = await modelFile("q8_0");
    const calibrationCache = join(scratch, "cpu-calibration.tsv");
    const streamed = forcedBudgets((await run(path, {})).info.placement, "all-b");
    for (const budgets of [{}, streamed]) {
      const { info } = await run(path, { dualPath: "auto", calibrationCache, recalibrate: true, ...budgets });
      assert.equal(info.placement.dualPath, undefined);
      assert.equal(info.placement.totals.d, 0);
    }
    await assert.rejects(readFile(calibrationCache, "utf8"), (err: { code?: string }) => err.code === "ENOENT");
  });

  it("dualPath on calibrates the CPU, caches the figures and reports them", async () => {
    const path = await modelFile("q8_0");
    const calibrationCache = join(scratch, "calibration.tsv");
    const { info } = await run(path, { dualPath: "on", calibrationCache, recalibrate: true });
    const dual = info.placement.dualPath;
    assert.ok(dual);
    assert.equal(dual.mode, "on");
    assert.equal(dual.layers.length, LAYERS);
    assert.ok(dual.calibration.cpuGBps > 0 && dual.calibration.h2dTogetherGBps > 0 && dual.calibration.cpuTogetherGBps > 0);
    assert.equal(dual.dualBoundGBps, dual.calibration.h2dTogetherGBps + dual.calibration.cpuTogetherGBps);
    assert.match(info.placement.text, /dual path on: layers [GC]{8}/);
    // Versioned, keyed by the layers that were run (their shape and types): this file's Q8_0 ones.
    assert.match(await readFile(calibrationCache, "utf8"), /^v\d+\t.*\t2\tcpu\tlayers [^\t]* \d+:Q8_0,Q8_0,Q8_0,Q8_0,Q8_0,Q8_0,Q8_0\t/);
  });
});
