import { z } from "zod";
import { tokenIdSchema } from "../../protocol/verbs/tokenId.js";
import { openAiSamplingFields } from "./openAiSamplingFields.js";

/**
 * The body of POST /v1/completions. The prompt is one string (or an array holding one), or token
 * ids; batches of prompts are refused, since each would be a generation of its own.
 */
export const completionRequestSchema = z.object({
  ...openAiSamplingFields,
  prompt: z.union([z.string(), z.tuple([z.string()]), z.array(tokenIdSchema).min(1)]),
});

export type CompletionRequest = z.output<typeof completionRequestSchema>;
