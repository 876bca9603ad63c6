import { z } from "zod";
import { errorFrameSchema, eventFrameSchema, resultFrameSchema } from "../serverFrames.js";

/**
 * What the helper sends: the same `result`, `error` and `event` messages as ntd.sock (one
 * vocabulary for clients), but never a hello. An `error` without `id` is about the connection,
 * which the helper then closes.
 */
export const helperResponseSchema = z.discriminatedUnion("kind", [
  resultFrameSchema, errorFrameSchema, eventFrameSchema,
]);

export type HelperResponse = z.infer<typeof helperResponseSchema>;
