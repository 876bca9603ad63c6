import { z } from "zod";
import { modelReferenceSchema } from "./modelReference.js";

/**
 * `unload`: frees a model. Its requests in flight end with NT_E_CANCELLED; a model still loading
 * is unloaded once its load ends.
 */
export const unloadVerb = {
  params: z.strictObject({
    /** The model's name, or the absolute path it was loaded from. */
    model: modelReferenceSchema,
  }),
  result: z.strictObject({
    /** The name the model had. */
    name: z.string(),
  }),
};
