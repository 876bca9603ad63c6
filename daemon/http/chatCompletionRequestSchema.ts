import { z } from "zod";
import { openAiSamplingFields } from "./openAiSamplingFields.js";

/** A message's content: a string, or OpenAI's array of parts of which only text parts are served. */
const contentSchema = z.union([
  z.string(),
  z.array(z.object({ type: z.literal("text"), text: z.string() })),
]).nullish();

/**
 * The body of POST /v1/chat/completions. Fields OpenAI defines that ntd does not serve (tools,
 * logprobs, response_format, user, …) are ignored, as llama-server ignores them, so that clients
 * sending them by default still work; "developer" is OpenAI's newer name of "system".
 */
export const chatCompletionRequestSchema = z.object({
  ...openAiSamplingFields,
  messages: z.array(z.object({
    role: z.enum(["system", "developer", "user", "assistant"]),
    content: contentSchema,
  })).min(1),
});

export type ChatCompletionRequest = z.output<typeof chatCompletionRequestSchema>;
