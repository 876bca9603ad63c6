import type { EngineBinding, GgufHeader, NativeModel, NativeTimings } from "../../cuda-engine/js/EngineBinding.js";
import { NtError } from "../../protocol/NtError.js";
import type { BenchOptions } from "./BenchOptions.js";
import type { BenchModel } from "./BenchReport.js";
import { runBenchTest, type BenchTestSpec } from "./runBenchTest.js";
import { runParallelTest } from "./runParallelTest.js";

/**
 * Loads one model in this process with the bench's options (a context of P + N + 16 tokens, one
 * sequence, batches of P so a prompt is one pass; with batched tests, as many sequences as the
 * most of them and a KV pool for them all), hands the placement text to `showPlacement` before the
 * first token, runs pp<P>, tg<N> and the batched tests, and frees the model.
 */
export async function benchModel(engine: EngineBinding, path: string, options: BenchOptions,
  showPlacement: (text: string) => void): Promise<BenchModel> {
  const { promptTokens: p, genTokens: n } = options;
  const engineError = (err: unknown): never => {
    throw NtError.from(err);
  };
  // The header first: a file it refuses is never loaded, and nothing is left to free.
  const header = await engine.readGguf(path).catch(engineError);
  const model = await engine.loadModel(path, {
    backend: options.backend, vramBudget: options.vramBudget, pinnedBudget: options.pinnedBudget,
    stagingSlots: options.stagingSlots, dualPath: options.dualPath, kvType: options.kvType, threads: options.threads,
    ...sequenceOptions(options),
  }).catch(engineError);
  try {
    const info = model.info();
    const { text, ...placement } = info.placement;
    showPlacement(text);
    const tests = [];
    for (const spec of testSpecs(model, p, n)) {
      tests.push(await runBenchTest(model, spec, options.repetitions, placement.boundTokS).catch(engineError));
    }
    for (const sequences of options.parallel) {
      const spec = { sequences, promptTokens: options.parallelPrompt, genTokens: options.parallelGen };
      tests.push(await runParallelTest(model, spec, options.repetitions, placement.boundTokS).catch(engineError));
    }
    return {
      model: path, bytes: info.weightBytes, params: countParams(header), backend: info.backend, threads: info.threads,
      nCtx: info.nCtx, nBatch: sequenceOptions(options).nBatch,
      budgets: { vram: placement.vramBudget, pinned: placement.pinnedBudget },
      tiers: placement.totals,
      links: { ...placement.links, directIo: placement.directIo },
      passMs: placement.passMs, boundTokS: placement.boundTokS, placement, tests,
    };
  } finally {
    await model.dispose();
  }
}

/**
 * pp<P>: one prompt of P tokens in one batched pass, the first sampled token ending it;
 * t/s = promptN / promptMs. tg<N>: a one-token prompt, then N tokens in N one-token passes (the
 * prompt's pass yields the first); t/s = N / (promptMs + predictedMs), every pass counted, as
 * llama-bench times N decode calls and nt-bench N forward passes. predictedMs alone starts at the
 * first sampled token, so it covers N − 1 passes and would overstate the rate by N / (N − 1).
 */
function testSpecs(model: NativeModel, p: number, n: number): BenchTestSpec[] {
  const { nVocab, bos } = model.info();
  const first = bos >= 0 ? bos : 1;
  // Fixed, spread-out token ids: the same work every repetition and every run.
  const prompt = Array.from({ length: p }, (_, i) => (i === 0 ? first : (i * 7919) % nVocab));
  return [
    {
      test: `pp${p}`, prompt, maxTokens: 1, tokens: p, passesPerRep: 1,
      tokensPerSecond: (t: NativeTimings) => (t.promptN / t.promptMs) * 1000,
    },
    {
      test: `tg${n}`, prompt: [first], maxTokens: n, tokens: n, passesPerRep: n,
      tokensPerSecond: (t: NativeTimings) => (t.predictedN / (t.promptMs + t.predictedMs)) * 1000,
    },
  ];
}

/** KV positions a batched sequence takes: whole blocks of 16 (cuda-engine/src/backend/kv_pool.h). */
const KV_BLOCK = 16;

/**
 * Context, batch, sequences and KV pool of the load: P + N + 16 positions for pp and tg, one
 * sequence, batches of P; batched tests add room for each sequence's prompt and tokens, as many
 * sequences as the most of them, a batch that holds all their prompts, and a pool for them all.
 */
function sequenceOptions(options: BenchOptions): { nCtx: number; nBatch: number; maxSequences: number; kvSize?: number } {
  const { promptTokens: p, genTokens: n, parallel, parallelPrompt, parallelGen } = options;
  if (parallel.length === 0) return { nCtx: p + n + 16, nBatch: p, maxSequences: 1 };
  const most = Math.max(...parallel);
  const nCtx = Math.max(p + n + 16, parallelPrompt + parallelGen);
  const perSequence = Math.ceil((parallelPrompt + parallelGen) / KV_BLOCK) * KV_BLOCK;
  return { nCtx, nBatch: Math.max(p, most * parallelPrompt), maxSequences: most, kvSize: Math.max(nCtx, most * perSequence) };
}

/** Parameters of a model: every tensor's element count (the product of its shape), summed, as llama-bench counts them. */
function countParams(header: GgufHeader): number {
  return header.tensors.reduce((sum, tensor) => sum + tensor.shape.reduce((n, d) => n * d, 1), 0);
}
