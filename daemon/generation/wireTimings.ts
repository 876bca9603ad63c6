import type { NativeTimings } from "../../cuda-engine/js/EngineBinding.js";
import type { GenerationResult } from "../../protocol/verbs/generationResult.js";

/** llama-server's timing fields; a rate over zero time is reported as 0, not Infinity (which JSON cannot carry). */
export function wireTimings(t: NativeTimings): GenerationResult["timings"] {
  const rate = (n: number, ms: number) => (ms > 0 ? (n * 1000) / ms : 0);
  return {
    prompt_n: t.promptN, prompt_ms: t.promptMs, prompt_per_second: rate(t.promptN, t.promptMs),
    predicted_n: t.predictedN, predicted_ms: t.predictedMs, predicted_per_second: rate(t.predictedN, t.predictedMs),
  };
}
