import { z } from "zod";

/**
 * How `generate` and `chat` pick tokens and when they stop, named as llama.cpp names them. Every
 * field is optional; an absent one takes the engine's default, given below.
 */
export const samplingParamsSchema = z.strictObject({
  /** Tokens to generate at most (≥ 1). Default: until end-of-generation or a full context. */
  maxTokens: z.int().min(1).max(2 ** 31 - 1).optional(),
  /** 0: greedy (always the most likely token). Default 0.8. */
  temperature: z.number().min(0).optional(),
  /** Keep the K most likely tokens; 0 turns it off. Default 40. */
  topK: z.int().nonnegative().optional(),
  /** Keep the most likely tokens whose probabilities sum to P; 1 turns it off. Default 0.95. */
  topP: z.number().min(0).max(1).optional(),
  /** Drop tokens less likely than P × the most likely one's probability; 0 turns it off. Default 0.05. */
  minP: z.number().min(0).max(1).optional(),
  /** Divides the logits of recently seen tokens (multiplies negative ones); 1 turns it off. Default 1. */
  repeatPenalty: z.number().positive().optional(),
  /** Subtracted from a token's logit once per recent occurrence. Default 0. */
  frequencyPenalty: z.number().optional(),
  /** Subtracted from the logit of every recently seen token. Default 0. */
  presencePenalty: z.number().optional(),
  /** How many recent tokens the penalties look at. Default 64. */
  penaltyLastN: z.int().nonnegative().optional(),
  /** Seed of the sampler's random numbers: same seed and request, same output. Default 0. */
  seed: z.uint32().optional(),
  /** Generation ends before the first occurrence of any of these, which is not returned. At most 16. */
  stop: z.array(z.string().min(1).max(1024)).max(16).optional(),
  /** Keep generating past end-of-generation tokens (for benchmarks). Default false. */
  ignoreEos: z.boolean().optional(),
});

export type SamplingParams = z.infer<typeof samplingParamsSchema>;
