import { z } from "zod";

/** One model the daemon holds, as `status` lists it. */
export const modelStatusSchema = z.strictObject({
  /** The name requests use. */
  name: z.string(),
  /** The model file's canonical absolute path. */
  path: z.string(),
  /** "loading" until its weights are in memory; "unloading" while its requests end and memory is freed. */
  state: z.enum(["loading", "loaded", "unloading"]),
  /** While loading: bytes of weights read, of total. */
  progress: z.strictObject({ done: z.number().nonnegative(), total: z.number().nonnegative() }).optional(),
  /** general.architecture; absent while loading. */
  architecture: z.string().optional(),
  /** Context size per sequence, in tokens; absent while loading. */
  nCtx: z.int().positive().optional(),
  /** Bytes of weights in memory; absent while loading. */
  weightBytes: z.number().nonnegative().optional(),
  /** Requests being generated now. */
  active: z.int().nonnegative(),
  /** Requests waiting for a free sequence slot. */
  queued: z.int().nonnegative(),
});

export type ModelStatus = z.infer<typeof modelStatusSchema>;
