import { z } from "zod";
import { generationResultSchema } from "./generationResult.js";
import { generationStreamEventSchema } from "./generationStreamEvent.js";
import { keepAliveSchema } from "./keepAlive.js";
import { loadOptionsSchema } from "./loadOptions.js";
import { modelReferenceSchema } from "./modelReference.js";
import { samplingParamsSchema } from "./samplingParams.js";
import { tokenIdSchema } from "./tokenId.js";

/**
 * `generate`: continues a prompt (text or token ids) with a loaded model, streaming a `token` event
 * per token, and answers with the whole generation. Exactly one of `prompt` and `tokens`.
 */
export const generateVerb = {
  params: z.strictObject({
    /**
     * A loaded model's name, or the absolute path of a .gguf file: a file the daemon does not hold
     * is loaded first (with its `progress` events), under its file name, with the load options
     * given here (loadOptionsSchema: nCtx, backend, budgets…) and the daemon's defaults for the
     * rest. A model held whose load differs from a load option given here is reloaded with it
     * when idle, and refused with NT_E_BUSY while it has requests in flight, as `load` does.
     */
    model: modelReferenceSchema,
    /** The prompt as text; the daemon tokenizes it. */
    prompt: z.string().optional(),
    /** The prompt as token ids, used as given (add BOS yourself if the model wants it). */
    tokens: z.array(tokenIdSchema).min(1).optional(),
    /** When tokenizing `prompt`: add BOS (and EOS) as the model's metadata asks. Default true. */
    addSpecial: z.boolean().optional(),
    /** When tokenizing `prompt`: turn the text of special tokens ("<|eot_id|>") into those tokens. Default false. */
    parseSpecial: z.boolean().optional(),
    /**
     * How long the model stays loaded after this request ends (see keepAliveSchema); it replaces
     * the model's keep-alive. Default: the keep-alive the model has (from its load, else the daemon's default).
     */
    keepAlive: keepAliveSchema.optional(),
    ...samplingParamsSchema.shape,
    ...loadOptionsSchema.shape,
  }).refine((p) => (p.prompt === undefined) !== (p.tokens === undefined),
    "give exactly one of prompt and tokens"),
  event: generationStreamEventSchema,
  /** The generation, and the name of the model that made it (a request may name it by path). */
  result: generationResultSchema.extend({ model: z.string() }),
};
