import { z } from "zod";
import { tierBytesSchema } from "./tierBytes.js";

// Mirrors NativePlacement in cuda-engine/js/EngineBinding.ts (which protocol/ may not import),
// with the tiers named for what they are; the daemon copies the fields by name (placementOf).

const bytes = z.int().nonnegative().max(Number.MAX_SAFE_INTEGER);
const rate = z.number().nonnegative();

/** One row of the placement table: a layer, or a tensor outside the layers. */
export const placementRowSchema = z.strictObject({
  /** "blk.N" for layer N; else the tensor's name ("output", "output_norm"). */
  name: z.string(),
  /** The layer index; -1 for a row that is not a layer. */
  layer: z.int().min(-1),
  /** Its weight bytes in each tier (a layer may be split across tiers). */
  bytes: tierBytesSchema,
  /** Expected milliseconds per pass to bring its non-resident bytes to the device. */
  ms: rate,
});

/** The CPU's and the link's rates the dual path was planned with, in GB/s; 0: not measured. */
export const dualCalibrationSchema = z.strictObject({
  /** The CPU backend's products at batch 1 (weight bytes read per second), alone. */
  cpuGBps: rate,
  /** The same at `cpuBatch` tokens per pass (lower once the CPU's compute binds). */
  cpuBatchGBps: rate,
  cpuBatch: z.int().nonnegative(),
  /** Host-to-device copies and the CPU's batch-1 products, running at once (they share DRAM). */
  h2dTogetherGBps: rate,
  cpuTogetherGBps: rate,
});

/**
 * The dual path (tier D): which layers the CPU computes from pinned RAM while the link copies the
 * others, the calibration the split was chosen with and what it predicts.
 */
export const dualPathSchema = z.strictObject({
  /** The load's dualPath option. */
  mode: z.enum(["auto", "on", "off"]),
  /** One letter per layer: "G" computed by the device, "C" by the CPU (tier D). */
  layers: z.string().regex(/^[GC]*$/),
  /** Weight bytes in tier D: read in place by the CPU every pass, never copied. */
  cpuBytes: bytes,
  /** Device↔CPU switches per pass (only the activations cross). */
  switches: z.int().nonnegative(),
  /** Tokens per pass the split was chosen for. */
  batch: z.int().positive(),
  calibration: dualCalibrationSchema,
  /** (B_h2d + B_cpu measured together): the dual bound's numerator; 0 when uncalibrated. */
  dualBoundGBps: rate,
  /** Expected milliseconds of one pass with this split, and with every tier-D layer streamed instead. */
  predictedPassMs: rate,
  streamingPassMs: rate,
  /**
   * With auto, each pass takes the split or streams every block, whichever is predicted faster for
   * its token count: the split up to this many tokens per pass, streaming beyond. Absent when every
   * pass takes the split (on, a forced pattern) or there is no tier D, and from older engines.
   */
  splitMaxTokens: z.int().nonnegative().optional(),
});

/**
 * Where a loaded model's weights live (tier per layer), the memory that takes, the link speeds
 * the planner measured and the decode speed bound that follows (DESIGN §2, §3). Fixed per load.
 */
export const modelPlacementSchema = z.strictObject({
  /** The rows' weight bytes summed per tier. */
  bytes: tierBytesSchema,
  /** Weight bytes brought to the device each pass (pinned + streamed): S in tok/s ≤ B_link / S. */
  bytesPerPass: bytes,
  /** Weight bytes kept in host memory that never move whole (the token-embedding table). */
  hostOnlyBytes: bytes,
  /** The budgets in force (as given at load, or the defaults they resolved to), in bytes. */
  budgets: z.strictObject({ vram: bytes, pinned: bytes }),
  /** Memory the model takes within each budget, in bytes. */
  used: z.strictObject({ vram: bytes, pinned: bytes }),
  /** Device bytes of the KV cache, of activations and scratch, and pinned bytes of the staging ring. */
  kvBytes: bytes,
  activationBytes: bytes,
  stagingBytes: bytes,
  /** Buffers in the staging ring (prefetch depth + 1). */
  stagingSlots: z.int().positive(),
  /** Whether storage reads bypass the page cache (O_DIRECT). */
  directIo: z.boolean(),
  /** Link speeds the cost model used, in GB/s (10^9 bytes per second). */
  links: z.strictObject({ vramGBps: rate, h2dGBps: rate, storageGBps: rate }),
  /** Expected milliseconds of one decode pass. */
  passMs: rate,
  /** The decode bound of one sequence, tokens per second (DESIGN §3); measured speed should reach ~90 % of it. */
  boundTokensPerSecond: rate,
  /** Per layer, then per tensor outside the layers. */
  rows: z.array(placementRowSchema),
  /** The engine's printable table of the placement, one line per row plus totals. */
  text: z.string(),
  /** The dual path, when the load asked for it or the plan computes layers on the CPU. */
  dualPath: dualPathSchema.optional(),
});

export type ModelPlacement = z.infer<typeof modelPlacementSchema>;
export type PlacementRow = z.infer<typeof placementRowSchema>;
export type DualPath = z.infer<typeof dualPathSchema>;
