import { z } from "zod";
import { tokenIdSchema } from "./tokenId.js";

/** How a finished generation ended, and what it took: the result of `generate` and `chat`. */
export const generationResultSchema = z.strictObject({
  /** The prompt as token ids, BOS included when the model adds one. */
  promptTokens: z.array(tokenIdSchema),
  /** The generated token ids (those of a stop string included; its text is not). */
  tokens: z.array(tokenIdSchema),
  /** The generated text, without a stop string. */
  text: z.string(),
  /**
   * "stop": an end-of-generation token or a stop string; "length": `maxTokens` reached;
   * "context": the context is full.
   */
  reason: z.enum(["stop", "length", "context"]),
  /** Named as llama-server names them. A rate is 0 when its time is 0. */
  timings: z.strictObject({
    prompt_n: z.int().nonnegative(),
    prompt_ms: z.number().nonnegative(),
    prompt_per_second: z.number().nonnegative(),
    predicted_n: z.int().nonnegative(),
    predicted_ms: z.number().nonnegative(),
    predicted_per_second: z.number().nonnegative(),
  }),
});

export type GenerationResult = z.infer<typeof generationResultSchema>;
