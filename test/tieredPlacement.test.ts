// The three-tier placement on the CPU backend (DESIGN §4): "device memory" is a budgeted host
// region, H2D a memcpy, tier C an O_DIRECT read of the file every pass. Where a tensor lives must
// not change a logit: the CPU computes the same products on the same bytes, so streamed runs are
// compared with the resident run for exact equality, for quantized and float models, with the
// placement and per-stage timers the engine reports.
import assert from "node:assert/strict";
import { copyFile, mkdtemp, rm, truncate } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, it } from "node:test";
import type { NativeModelOptions, NativePlacement } from "../cuda-engine/js/EngineBinding.js";
import { loadEngine } from "../cuda-engine/js/loadEngine.js";
import { randomLlamaWriter } from "../scripts/gguf/randomLlamaWriter.js";
import type { RandomLlamaOptions } from "../scripts/gguf/resolveLlamaModel.js";
import { forcedBudgets, type TierMix } from "./support/forcedBudgets.js";
import { greedyTokens } from "./support/greedyTokens.js";

const scratch = await mkdtemp(join(tmpdir(), "tiered-placement-"));
const engine = loadEngine();
after(() => rm(scratch, { recursive: true, force: true }));

const BASE: NativeModelOptions = { backend: "cpu", threads: 2, nCtx: 256, nBatch: 16 };
const TOKENS = Array.from({ length: 40 }, (_, i) => (i * 37 + 11) % 512);

async function generated(mix: RandomLlamaOptions["mix"]): Promise<string> {
  const path = join(scratch, `${mix}.gguf`);
  // 12 blocks: more than a ring of slots holds, so the budgets below leave blocks to stream.
  await randomLlamaWriter({ shape: "tiny", mix, seed: 5, layers: 12 }).writeToFile(path);
  return path;
}

async function run(path: string, options: NativeModelOptions) {
  const model = await engine.loadModel(path, { ...BASE, ...options });
  try {
    return { logits: await model.evaluate(TOKENS, 7), greedy: await greedyTokens(model, TOKENS.slice(0, 8), 24),
      info: model.info(), stages: model.stats().stages };
  } finally {
    await model.dispose();
  }
}

const expectTiers: Record<TierMix, (p: NativePlacement) => void> = {
  "all-b": (p) => assert.ok(p.totals.c === 0 && p.streamedBytes > 0, "expected every streamed byte in tier B"),
  "all-c": (p) => assert.ok(p.totals.c > p.totals.b - p.hostOnlyBytes, "expected most streamed bytes in tier C"),
  mixed: (p) => assert.ok(p.totals.b > p.hostOnlyBytes && p.totals.c > 0, "expected tiers B and C both"),
};

describe("CPU pipeline: streamed tiers give the resident logits exactly", { concurrency: 1 }, () => {
  for (const mix of ["q4_k_m", "f16", "q8_0"] as const) {
    it(`${mix}: all B, all C and mixed placements`, async () => {
      const path = await generated(mix);
      const resident = await run(path, {});
      assert.equal(resident.info.backend, "cpu");
      assert.equal(resident.info.placement.totals.c, 0);
      for (const tiers of ["all-b", "all-c", "mixed"] as const) {
        const slots = tiers === "all-c" ? 4 : 3;
        const streamed = await run(path, { ...forcedBudgets(resident.info.placement, tiers, slots), stagingSlots: slots });
        expectTiers[tiers](streamed.info.placement);
        assert.deepEqual(streamed.logits, resident.logits, `${tiers}: logits differ`);
        assert.deepEqual(streamed.greedy, resident.greedy, `${tiers}: greedy tokens differ`);
        assert.ok(streamed.stages.passes > 0 && streamed.stages.bytesCopied > 0, "no streamed passes counted");
        if (tiers !== "all-b") assert.ok(streamed.stages.bytesRead > 0, "tier C read nothing");
        assert.match(streamed.info.placement.text, /tier C|pass:/);
      }
    });
  }
});

describe("CPU pipeline: a storage failure", () => {
  it("ends the request with NT_E_IO and leaves the model failed, saying why", async () => {
    const path = await generated("q4_k_m");
    const resident = await run(path, {});
    const copy = join(scratch, "truncated.gguf");
    await copyFile(path, copy);
    const model = await engine.loadModel(copy, { ...BASE, ...forcedBudgets(resident.info.placement, "all-c", 4), stagingSlots: 4 });
    try {
      assert.ok(model.info().placement.totals.c > 0, "nothing in tier C");
      await truncate(copy, 8192);  // tier C now reads past the end of the file
      const end = await new Promise<{ reason: string; code?: string }>((resolve) => {
        model.generate({ prompt: TOKENS.slice(0, 4), maxTokens: 4, temperature: 0 }, (event) => {
          if (event.type === "done") resolve(event);
        });
      });
      assert.equal(end.reason, "error");
      assert.equal(end.code, "NT_E_IO");
      assert.equal(model.stats().failure?.code, "NT_E_IO");
      await assert.rejects(model.evaluate(TOKENS.slice(0, 2)), { code: "NT_E_IO" });
    } finally {
      await model.dispose();
    }
  });
});
