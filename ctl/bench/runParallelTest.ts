import { performance } from "node:perf_hooks";
import type { NativeModel } from "../../cuda-engine/js/EngineBinding.js";
import type { BenchTest } from "./BenchReport.js";
import { generationTimings } from "./generationTimings.js";
import { sampleStats } from "./sampleStats.js";
import { stagesPerPass } from "./stagesPerPass.js";

/** A batched test: `sequences` requests decoding together (llama-batched-bench -npp -ntg -npl). */
export interface ParallelTestSpec {
  sequences: number;
  /** Each request's prompt tokens (-npp). */
  promptTokens: number;
  /** Tokens each request generates (-ntg). */
  genTokens: number;
}

/**
 * pp<P>+tg<G> xN: N greedy requests submitted at once, each a different P-token prompt and G
 * tokens; the generation loop runs their prompts in one pass, which yields each first token, then
 * G − 1 passes of N tokens. t/s = N × G / the wall time from the first submission to the last
 * end, every pass counted (as tg's figure counts its prompt pass). One warm-up, then
 * `repetitions`; each request has a fresh cache. The bound is N × the one-sequence decode bound:
 * each pass streams the weights once for all N.
 */
export async function runParallelTest(model: NativeModel, spec: ParallelTestSpec, repetitions: number,
  boundTokS: number): Promise<BenchTest> {
  const { sequences: n, promptTokens: p, genTokens: g } = spec;
  const { nVocab, bos } = model.info();
  const first = bos >= 0 ? bos : 1;
  // Fixed, spread-out token ids, a different prompt per sequence.
  const prompts = Array.from({ length: n }, (_, s) =>
    Array.from({ length: p }, (_, i) => (i === 0 ? first : ((s * p + i) * 7919) % nVocab)));
  const once = async (): Promise<number> => {
    const start = performance.now();
    await Promise.all(prompts.map((prompt) => generationTimings(model, prompt, g)));
    return ((n * g) / (performance.now() - start)) * 1000;
  };
  await once();
  const before = model.stats().stages;
  const samples: number[] = [];
  for (let r = 0; r < repetitions; r++) samples.push(await once());
  const { mean, sd } = sampleStats(samples);
  const bound = boundTokS > 0 && Number.isFinite(boundTokS) ? n * boundTokS : null;
  return {
    test: `pp${p}+tg${g} x${n}`, sequences: n, tokens: n * g, passesPerRep: g, samples, mean, sd,
    bound, ratio: bound === null ? null : mean / bound, stagesPerPass: stagesPerPass(before, model.stats().stages),
  };
}
