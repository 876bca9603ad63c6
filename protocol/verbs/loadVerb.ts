import { z } from "zod";
import { modelInfoSchema } from "./modelInfo.js";
import { modelReferenceSchema } from "./modelReference.js";

/**
 * `load`: loads a GGUF model, streaming `progress` events, and answers with its name and facts.
 * A model already loaded from the same file (or under the given name) is answered at once,
 * unchanged; concurrent loads of one file share one load.
 */
export const loadVerb = {
  params: z.strictObject({
    /** Absolute path of the .gguf file, or the name of a model already loaded. */
    model: modelReferenceSchema,
    /** The name to load it under; default the file name without ".gguf". No "/" allowed. */
    name: z.string().min(1).max(256).regex(/^[^/]+$/, "a model name must not contain '/'").optional(),
    /** Context size per sequence, in tokens. Default: the model's training context, at most 4096. */
    nCtx: z.int().positive().optional(),
    /** CPU threads of the forward pass. Default: one per hardware thread. */
    threads: z.int().positive().optional(),
  }),
  /** Bytes of weights read so far, of `total`; several per load, `done` never decreasing. */
  event: z.strictObject({
    type: z.literal("progress"),
    done: z.number().nonnegative(),
    total: z.number().nonnegative(),
  }),
  result: z.strictObject({
    /** The name later requests may use. */
    name: z.string(),
    /** The model file's canonical absolute path. */
    path: z.string(),
    info: modelInfoSchema,
  }),
};
