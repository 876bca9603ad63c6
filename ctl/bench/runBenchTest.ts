import type { NativeModel, NativeTimings } from "../../cuda-engine/js/EngineBinding.js";
import type { BenchTest } from "./BenchReport.js";
import { generationTimings } from "./generationTimings.js";
import { sampleStats } from "./sampleStats.js";
import { stagesPerPass } from "./stagesPerPass.js";

/** One llama-bench test as a generation request, and how its timings become tokens per second. */
export interface BenchTestSpec {
  /** "pp512", "tg128". */
  test: string;
  prompt: number[];
  maxTokens: number;
  tokens: number;
  passesPerRep: number;
  tokensPerSecond: (timings: NativeTimings) => number;
}

/**
 * One warm-up, then `repetitions` timed runs of the request, each on a fresh sequence (so a fresh
 * KV cache); the stage timers are the delta over the timed runs only. Bound and ratio come from
 * the decode bound (tok/s of one token per pass) scaled by the tokens each pass carries.
 */
export async function runBenchTest(model: NativeModel, spec: BenchTestSpec, repetitions: number, boundTokS: number)
  : Promise<BenchTest> {
  await generationTimings(model, spec.prompt, spec.maxTokens);
  const before = model.stats().stages;
  const samples: number[] = [];
  for (let r = 0; r < repetitions; r++) samples.push(spec.tokensPerSecond(await generationTimings(model, spec.prompt, spec.maxTokens)));
  const stages = stagesPerPass(before, model.stats().stages);
  const { mean, sd } = sampleStats(samples);
  const bound = boundTokS > 0 && Number.isFinite(boundTokS) ? (spec.tokens / spec.passesPerRep) * boundTokS : null;
  return {
    test: spec.test, sequences: 1, tokens: spec.tokens, passesPerRep: spec.passesPerRep, samples, mean, sd,
    bound, ratio: bound === null ? null : mean / bound, stagesPerPass: stages,
  };
}
