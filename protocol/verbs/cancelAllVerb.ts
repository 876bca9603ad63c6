import { z } from "zod";
import { modelReferenceSchema } from "./modelReference.js";

/**
 * `cancelAll`: cancels every `generate` and `chat` request in flight for one model (from any
 * client); each ends with NT_E_CANCELLED. The model stays loaded. What `ntctl stop` sends.
 */
export const cancelAllVerb = {
  params: z.strictObject({
    /** The model's name, or the absolute path it was loaded from. */
    model: modelReferenceSchema,
  }),
  result: z.strictObject({
    /** The model's name. */
    name: z.string(),
    /** How many requests were cancelled. */
    cancelled: z.int().nonnegative(),
  }),
};
