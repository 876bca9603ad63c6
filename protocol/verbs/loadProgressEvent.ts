import { z } from "zod";

/**
 * Load progress: bytes of weights read so far, of `total`; sent by `load`, and by `generate` and
 * `chat` when they load the model first. Several per load, `done` never decreasing.
 */
export const loadProgressEventSchema = z.strictObject({
  type: z.literal("progress"),
  done: z.number().nonnegative(),
  total: z.number().nonnegative(),
});

export type LoadProgressEvent = z.infer<typeof loadProgressEventSchema>;
