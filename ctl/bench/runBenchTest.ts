import type { NativeModel, NativeStageStats, NativeTimings } from "../../cuda-engine/js/EngineBinding.js";
import { NtError, isNtErrorCode } from "../../protocol/NtError.js";
import type { BenchTest, StagesPerPass } from "./BenchReport.js";

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
    test: spec.test, tokens: spec.tokens, passesPerRep: spec.passesPerRep, samples, mean, sd,
    bound, ratio: bound === null ? null : mean / bound, stagesPerPass: stages,
  };
}

/**
 * Runs one greedy generation of exactly maxTokens tokens (end-of-generation ignored, as
 * llama-bench) and resolves with the engine's timings; any other ending is an error.
 */
function generationTimings(model: NativeModel, prompt: number[], maxTokens: number): Promise<NativeTimings> {
  return new Promise((resolve, reject) => {
    model.generate({ prompt, maxTokens, temperature: 0, ignoreEos: true }, (event) => {
      if (event.type !== "done") return;
      if (event.reason === "length") return resolve(event.timings);
      const code = isNtErrorCode(event.code) ? event.code : "NT_E_INTERNAL";
      reject(new NtError(code, `benchmark generation ended with "${event.reason}"${event.message ? `: ${event.message}` : ""}`));
    });
  });
}

/** Mean and sample standard deviation (divided by n − 1, as llama-bench; 0 for a single sample). */
function sampleStats(samples: readonly number[]): { mean: number; sd: number } {
  const n = samples.length;
  const mean = samples.reduce((sum, x) => sum + x, 0) / n;
  if (n < 2) return { mean, sd: 0 };
  const squares = samples.reduce((sum, x) => sum + (x - mean) ** 2, 0);
  return { mean, sd: Math.sqrt(squares / (n - 1)) };
}

/** The stage timers between two snapshots of the model's cumulative stats, per pass (all 0 when no pass ran). */
function stagesPerPass(before: NativeStageStats, after: NativeStageStats): StagesPerPass {
  const passes = after.passes - before.passes;
  const per = (key: Exclude<keyof NativeStageStats, "passes">): number => (passes > 0 ? (after[key] - before[key]) / passes : 0);
  return {
    passes,
    readMs: per("readMs"), h2dMs: per("h2dMs"), computeMs: per("computeMs"), stallMs: per("stallMs"),
    bytesRead: per("bytesRead"), bytesCopied: per("bytesCopied"),
  };
}
