import type { OpenAiChoiceFormat } from "./OpenAiChoiceFormat.js";

/** Choices of /v1/completions: plain text, streamed piece by piece. */
export const textChoiceFormat: OpenAiChoiceFormat = {
  object: "text_completion",
  chunkObject: "text_completion",
  idPrefix: "cmpl-",
  choice: (text, finishReason) => ({ index: 0, text, logprobs: null, finish_reason: finishReason }),
  chunkChoice: (text, finishReason) => ({ index: 0, text: text ?? "", logprobs: null, finish_reason: finishReason }),
};
