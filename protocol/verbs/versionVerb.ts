import { z } from "zod";
import { engineBuildInfoSchema } from "./engineInfo.js";

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
