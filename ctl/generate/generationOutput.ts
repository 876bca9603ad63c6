// What `ntctl run` and `chat` print of a generation: the --json object and the --verbose timings line.
import type { GenerationResult } from "../../protocol/verbs/generationResult.js";
import { countOf } from "../../protocol/countOf.js";

/**
 * The one JSON object `ntctl run --json` (and each answer of `chat --json`) prints, keyed as
 * llama-server's answers are: prompt_tokens (BOS included), tokens, text, reason, timings.
 */
export function generationJson(model: string, result: GenerationResult): Record<string, unknown> {
  return {
    model,
    prompt_tokens: result.promptTokens,
    tokens: result.tokens,
    text: result.text,
    reason: result.reason,
    timings: result.timings,
  };
}

/** "prompt 5 tokens, 1.2 ms (4166.7 t/s); generated 32 tokens, 80.3 ms (398.5 t/s)", as --verbose prints it. */
export function formatTimings(timings: GenerationResult["timings"]): string {
  const part = (n: number, ms: number, perSecond: number) =>
    `${countOf(n, "token")}, ${ms.toFixed(1)} ms (${perSecond.toFixed(1)} t/s)`;
  return `prompt ${part(timings.prompt_n, timings.prompt_ms, timings.prompt_per_second)}; `
    + `generated ${part(timings.predicted_n, timings.predicted_ms, timings.predicted_per_second)}`;
}
