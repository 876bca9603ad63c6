import { z } from "zod";

/**
 * The sampling fields that OpenAI's chat and completion requests share, plus llama-server's
 * extensions (top_k, min_p, repeat_penalty). OpenAI clients send null for "not set", so every
 * field is nullish. Ranges are checked once, by the protocol's samplingParamsSchema (samplingOf).
 */
export const openAiSamplingFields = {
  model: z.string().min(1),
  /** Whether to answer as server-sent events. Default false. */
  stream: z.boolean().nullish(),
  /** With stream: include_usage adds a last chunk carrying `usage` (and empty choices), as OpenAI does. */
  stream_options: z.object({ include_usage: z.boolean().nullish() }).nullish(),
  temperature: z.number().nullish(),
  top_p: z.number().nullish(),
  /** OpenAI's older name of max_completion_tokens; either may be given. */
  max_tokens: z.int().nullish(),
  max_completion_tokens: z.int().nullish(),
  seed: z.int().nullish(),
  /** One stop string or several; generation ends before the first, which is not returned. */
  stop: z.union([z.string(), z.array(z.string())]).nullish(),
  presence_penalty: z.number().nullish(),
  frequency_penalty: z.number().nullish(),
  top_k: z.int().nullish(),
  min_p: z.number().nullish(),
  repeat_penalty: z.number().nullish(),
};

/** The parsed shared fields. */
export type OpenAiSamplingFields = z.output<z.ZodObject<typeof openAiSamplingFields>>;
