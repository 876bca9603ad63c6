import type { ChoiceLogprobs, OpenAiChoiceFormat } from "./serveGeneration.js";
import { tokenText } from "./tokenText.js";

/** Choices of /v1/chat/completions: a message, streamed as deltas (the first one names the role). */
export const chatChoiceFormat: OpenAiChoiceFormat = {
  object: "chat.completion",
  chunkObject: "chat.completion.chunk",
  idPrefix: "chatcmpl-",
  choice: (text, finishReason, logprobs) => ({
    index: 0, message: { role: "assistant", content: text, refusal: null }, logprobs: chatLogprobs(logprobs),
    finish_reason: finishReason,
  }),
  chunkChoice: (text, finishReason, first, logprobs) => ({
    index: 0,
    delta: text === undefined ? {} : first ? { role: "assistant", content: text } : { content: text },
    logprobs: chatLogprobs(logprobs),
    finish_reason: finishReason,
  }),
};

/**
 * OpenAI's chat logprobs: per token its text, logprob and UTF-8 bytes (which carry what the text
 * cannot: part of a character), and its position's most likely tokens in the same form.
 */
function chatLogprobs(logprobs: readonly ChoiceLogprobs[] | undefined): Record<string, unknown> | null {
  if (logprobs === undefined) return null;
  const entry = (token: { logprob: number; piece: Uint8Array }) => ({
    token: tokenText(token.piece), logprob: token.logprob, bytes: Array.from(token.piece),
  });
  return {
    content: logprobs.map((token) => ({ ...entry(token), top_logprobs: token.top.map(entry) })),
    refusal: null,
  };
}
