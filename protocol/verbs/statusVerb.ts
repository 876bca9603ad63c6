import { z } from "zod";
import { wireErrorSchema } from "../serverFrames.js";
import { engineReportSchema } from "./engineInfo.js";

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
    /** Loaded models; always empty until the model manager exists (its entry schema comes with it). */
    models: z.array(z.never()),
    /** The engine's build and devices, or why the engine cannot be used. */
    engine: z.union([engineReportSchema, z.strictObject({ error: wireErrorSchema })]),
  }),
};
