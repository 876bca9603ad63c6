import type { GenerationResult } from "../../protocol/verbs/generationResult.js";

/** "prompt 5 tokens, 1.2 ms (4166.7 t/s); generated 32 tokens, 80.3 ms (398.5 t/s)", as --verbose prints it. */
export function formatTimings(timings: GenerationResult["timings"]): string {
  const part = (n: number, ms: number, perSecond: number) =>
    `${n} tokens, ${ms.toFixed(1)} ms (${perSecond.toFixed(1)} t/s)`;
  return `prompt ${part(timings.prompt_n, timings.prompt_ms, timings.prompt_per_second)}; `
    + `generated ${part(timings.predicted_n, timings.predicted_ms, timings.predicted_per_second)}`;
}
