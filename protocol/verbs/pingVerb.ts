import { z } from "zod";

/** `ping`: proves the daemon is alive and answering; takes nothing. */
export const pingVerb = {
  params: z.strictObject({}),
  result: z.strictObject({
    pong: z.literal(true),
    /** The daemon's clock, ms since the Unix epoch. */
    time: z.int().nonnegative(),
  }),
};
