import { z } from "zod";
import { engineBuildInfoSchema } from "./engineInfo.js";

// The verbs about the daemon itself rather than a model.

/** `ping`: proves the daemon is alive and answering; takes nothing. */
export const pingVerb = {
  params: z.strictObject({}),
  result: z.strictObject({
    pong: z.literal(true),
    /** The daemon's clock, ms since the Unix epoch. */
    time: z.int().nonnegative(),
  }),
};

/** `version`: the versions of the daemon, its protocol, Node and the engine. */
export const versionVerb = {
  params: z.strictObject({}),
  result: z.strictObject({
    /** The daemon's package version. */
    daemon: z.string(),
    /** The protocol version the daemon speaks. */
    protocol: z.int(),
    /** The daemon's Node.js version (process.version). */
    node: z.string(),
    /** The engine's build, or null when the addon cannot be loaded (`status` says why). */
    engine: engineBuildInfoSchema.nullable(),
  }),
};
