import { z } from "zod";
import { wireErrorSchema } from "../serverFrames.js";
import { generationResultSchema } from "./generationResult.js";
import { modelPlacementSchema } from "./modelPlacement.js";
import { storageBackendSchema } from "./storageBackend.js";
import { streamStagesSchema } from "./streamStages.js";

/**
 * One model the daemon holds, as `status` lists it. A model that is not held ("unloaded") is not
 * listed; a load that failed, or a loaded model whose forward pass failed (an I/O error while
 * streaming weights, a CUDA error), stays listed as "failed", with its error, until the next load
 * of that file or name, or an `unload` of it.
 */
export const modelStatusSchema = z.strictObject({
  /** The name requests use. */
  name: z.string(),
  /** The model file's canonical absolute path. */
  path: z.string(),
  /**
   * "loading" until its weights are in memory; "loaded" while it serves requests or waits for
   * them; "unloading" while its requests end and memory is freed; "failed" when its load, or later a forward pass, failed.
   */
  state: z.enum(["loading", "loaded", "unloading", "failed"]),
  /** While loading: bytes of weights read, of total. */
  progress: z.strictObject({ done: z.number().nonnegative(), total: z.number().nonnegative() }).optional(),
  /** When failed: why, with the stable code of the load's or the pass's error. */
  error: wireErrorSchema.optional(),
  /** general.architecture; absent unless loaded. */
  architecture: z.string().optional(),
  /** Context size per sequence, in tokens; absent unless loaded. */
  nCtx: z.int().positive().optional(),
  /** Bytes of weights in memory; absent unless loaded. */
  weightBytes: z.number().nonnegative().optional(),
  /** Requests being generated now. */
  active: z.int().nonnegative(),
  /** Requests waiting for a free sequence slot. */
  queued: z.int().nonnegative(),
  /** The keep-alive in force, in seconds; -1: never unloaded by a timer. Absent unless loaded. */
  keepAliveSeconds: z.number().min(-1).optional(),
  /**
   * When the keep-alive timer unloads the model (ms since the Unix epoch), if no request comes
   * first; null: never. Absent while requests are in flight (the timer starts when the last ends)
   * and unless loaded.
   */
  expiresAt: z.number().nonnegative().nullable().optional(),
  /** Timings of the last generation that finished normally; absent until one has. */
  lastTimings: generationResultSchema.shape.timings.optional(),
  /** The backend it runs on; absent unless loaded, or when the engine does not say. */
  backend: z.enum(["cpu", "cuda"]).optional(),
  /** Where its weights live (as in the load's ModelInfo); absent unless loaded, or when the engine does not say. */
  placement: modelPlacementSchema.optional(),
  /** Where its weights are read from (the load's storage; "file" unless it said). */
  storage: storageBackendSchema.optional(),
  /** The streaming stages' timers since the load; absent unless loaded, or when the engine does not say. */
  stages: streamStagesSchema.optional(),
});

export type ModelStatus = z.infer<typeof modelStatusSchema>;
