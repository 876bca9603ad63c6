import { z } from "zod";

const millis = z.number().nonnegative();

/**
 * The streaming pipeline's stages of one loaded model, cumulative since its load (mirrors
 * NativeStageStats). The stages overlap, so their times do not add up to wall time; `stallMs`
 * (compute waiting for weights) is the one that says the link is the bottleneck.
 */
export const streamStagesSchema = z.strictObject({
  /** Forward passes run. */
  passes: z.int().nonnegative(),
  /** Bytes read from storage (tier C) and copied host → device (tiers B and C). */
  bytesRead: z.number().nonnegative(),
  bytesCopied: z.number().nonnegative(),
  /** Milliseconds spent reading, copying, computing, and computing waiting for weights. */
  readMs: millis,
  h2dMs: millis,
  computeMs: millis,
  stallMs: millis,
  /**
   * On the dual path: of `passes`, those that took the split (tier D on the CPU); the others
   * streamed every block to the device (a prompt, many sequences). Absent without a dual path.
   */
  splitPasses: z.int().nonnegative().optional(),
  /**
   * How tier C reaches the device: "staging" (read into the streamer's pinned buffers, then
   * copied) or "reader-buffers" (uploaded straight from the reader's registered buffers — the
   * vfio data plane's slots — with no host copy). Absent when nothing streams from storage.
   */
  tierCPath: z.enum(["staging", "reader-buffers"]).optional(),
  /** Why the data plane's slots could not be used and tier C went through staging instead. */
  tierCFallback: z.string().max(512).optional(),
  /** The four times divided by `passes`; absent until a pass has run. */
  perPass: z.strictObject({ readMs: millis, h2dMs: millis, computeMs: millis, stallMs: millis }).optional(),
});

export type StreamStages = z.infer<typeof streamStagesSchema>;
