import { z } from "zod";

/** A byte budget on the wire: a non-negative integer that a double carries exactly. */
const budgetSchema = z.int().nonnegative().max(Number.MAX_SAFE_INTEGER);

/**
 * How a `load` places the model's weights in the three tiers (DESIGN §2). Every field is optional;
 * an absent one takes the daemon's configured default (backend, vramBudget, pinnedBudget), else
 * the engine's.
 */
export const placementParamsSchema = z.strictObject({
  /**
   * "cuda", "cpu", or "auto" (CUDA when a usable GPU exists, else the CPU). "cuda" without a
   * usable GPU fails with NT_E_NO_DEVICE.
   */
  backend: z.enum(["auto", "cpu", "cuda"]).optional(),
  /**
   * Bytes of device memory the model may take (resident weights, KV cache, activations, the
   * slots streamed layers land in); on the CPU backend, a host region standing in for it.
   * Default: the device's free memory minus a margin.
   */
  vramBudget: budgetSchema.optional(),
  /** Bytes of pinned host RAM for weights copied each pass and the staging ring. Default: the engine's. */
  pinnedBudget: budgetSchema.optional(),
  /** Pinned staging buffers between storage reads and device copies, ≥ 3 (prefetch depth + 1). Default 3. */
  stagingSlots: z.int().min(3).optional(),
});

export type PlacementParams = z.infer<typeof placementParamsSchema>;
