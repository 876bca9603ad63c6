import type { OpenAiChoiceFormat } from "./serveGeneration.js";

/** Choices of /v1/chat/completions: a message, streamed as deltas (the first one names the role). */
export const chatChoiceFormat: OpenAiChoiceFormat = {
  object: "chat.completion",
  chunkObject: "chat.completion.chunk",
  idPrefix: "chatcmpl-",
  choice: (text, finishReason) => ({
    index: 0, message: { role: "assistant", content: text, refusal: null }, logprobs: null, finish_reason: finishReason,
  }),
  chunkChoice: (text, finishReason, first) => ({
    index: 0,
    delta: text === undefined ? {} : first ? { role: "assistant", content: text } : { content: text },
    logprobs: null,
    finish_reason: finishReason,
  }),
};
