import { z } from "zod";

/** A byte count: a non-negative integer that a double carries exactly. */
const byteCountSchema = z.int().nonnegative().max(Number.MAX_SAFE_INTEGER);

/**
 * Bytes of weights per tier of the placement (DESIGN §2): `vram` stays in device memory (tier A),
 * `pinned` sits in pinned host RAM and is copied to the device each pass (tier B), `streamed` is
 * read from storage each pass through the staging ring (tier C).
 */
export const tierBytesSchema = z.strictObject({
  vram: byteCountSchema,
  pinned: byteCountSchema,
  streamed: byteCountSchema,
});

export type TierBytes = z.infer<typeof tierBytesSchema>;
