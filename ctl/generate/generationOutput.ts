import type { GenerationResult } from "../../protocol/verbs/generationResult.js";

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
