// Continuous batching over the paged KV cache, on generated models (GQA, several quantization
// mixes) through the addon: N requests decoding together in a pool much smaller than N contexts
// get exactly the tokens each gets alone on the CPU, including requests that join while others
// run and leave before them. The second round fits the pool only if the first gave its blocks back.
import assert from "node:assert/strict";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, it } from "node:test";
import type { NativeModel } from "../cuda-engine/js/EngineBinding.js";
import { loadEngine } from "../cuda-engine/js/loadEngine.js";
import { randomLlamaWriter } from "../scripts/gguf/randomLlamaWriter.js";
import { greedyTokens } from "./support/greedyTokens.js";

const scratch = await mkdtemp(join(tmpdir(), "batched-sequences-"));
const engine = loadEngine();
after(() => rm(scratch, { recursive: true, force: true }));

// Eight requests: prompts of 3 to 24 tokens, 4 to 40 generated.
const REQUESTS = Array.from({ length: 8 }, (_, r) => ({
  prompt: Array.from({ length: 3 + ((r * 7) % 22) }, (_, i) => (r * 101 + i * 37 + 11) % 512),
  n: 4 + ((r * 13) % 37),
}));

async function load(mix: "q4_k_m" | "q8_0" | "f16", maxSequences: number): Promise<NativeModel> {
  const path = join(scratch, `${mix}.gguf`);
  await randomLlamaWriter({ shape: "tiny", mix, seed: 9, layers: 3 }).writeToFile(path);
  // A pool of 512 positions (32 blocks) for 8 sequences of a 256-position context: a quarter of
  // what a context each would take, enough for what these requests hold at once.
  return engine.loadModel(path, { backend: "cpu", threads: 2, nCtx: 256, nBatch: 64, maxSequences, kvSize: 512 });
}

describe("batched sequences over the paged KV cache give each request its tokens alone", { concurrency: 1 }, () => {
  for (const mix of ["q4_k_m", "q8_0", "f16"] as const) {
    it(`${mix}: eight together, then joining and leaving mid-stream`, async () => {
      const solo = await load(mix, 1);
      const alone: number[][] = [];
      try {
        for (const r of REQUESTS) alone.push(await greedyTokens(solo, r.prompt, r.n));
      } finally {
        await solo.dispose();
      }
      const model = await load(mix, 8);
      try {
        const together = await Promise.all(REQUESTS.map((r) => greedyTokens(model, r.prompt, r.n)));
        for (let r = 0; r < REQUESTS.length; r++) assert.deepEqual(together[r], alone[r], `request ${r} submitted together`);
        // Staggered: each request starts after the one before has produced a few tokens.
        const staggered: Promise<number[]>[] = [];
        for (const r of REQUESTS) {
          staggered.push(greedyTokens(model, r.prompt, r.n));
          await new Promise((resolve) => setTimeout(resolve, 2));
        }
        const results = await Promise.all(staggered);
        for (let r = 0; r < REQUESTS.length; r++) assert.deepEqual(results[r], alone[r], `request ${r} staggered`);
      } finally {
        await model.dispose();
      }
    });
  }
});
