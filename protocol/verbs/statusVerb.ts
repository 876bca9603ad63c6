import { z } from "zod";
import { wireErrorSchema } from "../serverFrames.js";
import { engineReportSchema } from "./engineInfo.js";
import { modelStatusSchema } from "./modelStatus.js";

/** `status`: what the daemon is, what it holds, and what hardware the engine sees. */
export const statusVerb = {
  params: z.strictObject({}),
  result: z.strictObject({
    /** The daemon's state; only "ready" until model loading exists. */
    state: z.literal("ready"),
    pid: z.int().nonnegative(),
    /** Seconds since the daemon started serving. */
    uptimeSeconds: z.number().nonnegative(),
    /** The socket path the daemon listens on. */
    socket: z.string(),
    /** The daemon's package version. */
    version: z.string(),
    /** The models the daemon holds (loading, loaded or unloading), in the order they were asked for. */
    models: z.array(modelStatusSchema),
    /** The engine's build and devices, or why the engine cannot be used. */
    engine: z.union([engineReportSchema, z.strictObject({ error: wireErrorSchema })]),
  }),
};
