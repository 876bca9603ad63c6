import { z } from "zod";
import { MAX_TOP_LOGPROBS } from "./maxTopLogprobs.js";
import { openAiSamplingFields } from "./openAiSamplingFields.js";

/** A message's content: a string, or OpenAI's array of parts of which only text parts are served. */
const contentSchema = z.union([
  z.string(),
  z.array(z.object({ type: z.literal("text"), text: z.string() })),
]).nullish();

/**
 * The body of POST /v1/chat/completions. Fields OpenAI defines that ntd does not serve (tools,
 * response_format, …) are refused before this schema sees them (refuseUnservedFields); "developer"
 * is OpenAI's newer name of "system".
 */
export const chatCompletionRequestSchema = z.object({
  ...openAiSamplingFields,
  messages: z.array(z.object({
    role: z.enum(["system", "developer", "user", "assistant"]),
    content: contentSchema,
  })).min(1),
  /** Whether to report each generated token's logprob. */
  logprobs: z.boolean().nullish(),
  /** With logprobs: this many of the most likely tokens at each position. */
  top_logprobs: z.int().min(0).max(MAX_TOP_LOGPROBS).nullish(),
});

export type ChatCompletionRequest = z.output<typeof chatCompletionRequestSchema>;
