import type { ChoiceLogprobs, OpenAiChoiceFormat } from "./serveGeneration.js";
import { tokenText } from "./tokenText.js";

/** Choices of /v1/completions: plain text, streamed piece by piece. */
export const textChoiceFormat: OpenAiChoiceFormat = {
  object: "text_completion",
  chunkObject: "text_completion",
  idPrefix: "cmpl-",
  choice: (text, finishReason, logprobs) => ({ index: 0, text, logprobs: textLogprobs(logprobs), finish_reason: finishReason }),
  chunkChoice: (text, finishReason, _first, logprobs) => ({
    index: 0, text: text ?? "", logprobs: textLogprobs(logprobs), finish_reason: finishReason,
  }),
};

/**
 * OpenAI's legacy completion logprobs: parallel arrays of the tokens' texts, logprobs, their
 * positions' most likely tokens and where each token's text begins in the choice's text.
 */
function textLogprobs(logprobs: readonly ChoiceLogprobs[] | undefined): Record<string, unknown> | null {
  if (logprobs === undefined) return null;
  return {
    tokens: logprobs.map((token) => tokenText(token.piece)),
    token_logprobs: logprobs.map((token) => token.logprob),
    top_logprobs: logprobs.map((token) => topByText(token.top)),
    text_offset: logprobs.map((token) => token.textOffset),
  };
}

/** Alternatives as text → logprob, most likely first; of tokens with the same text the likelier one stays. */
function topByText(top: ChoiceLogprobs["top"]): Record<string, number> {
  // No prototype: a token whose text is "__proto__" must be a key like any other.
  const byText = Object.create(null) as Record<string, number>;
  for (const { piece, logprob } of top) {
    const text = tokenText(piece);
    if (!Object.hasOwn(byText, text)) byText[text] = logprob;
  }
  return byText;
}
