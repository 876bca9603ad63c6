import { z } from "zod";
import { chatMessageSchema } from "./chatMessage.js";
import { generationResultSchema } from "./generationResult.js";
import { generationStreamEventSchema } from "./generationStreamEvent.js";
import { keepAliveSchema } from "./keepAlive.js";
import { loadOptionsSchema } from "./loadOptions.js";
import { modelReferenceSchema } from "./modelReference.js";
import { samplingParamsSchema } from "./samplingParams.js";

/**
 * `chat`: formats a conversation with the model's chat template (as llama.cpp does, with the
 * assistant's turn opened), tokenizes it with the template's special tokens recognised but every
 * message's content as plain text (so a message cannot forge a turn), then generates like
 * `generate`. A model without a template the daemon can apply is answered with NT_E_UNSUPPORTED.
 */
export const chatVerb = {
  params: z.strictObject({
    /**
     * A loaded model's name, or the absolute path of a .gguf file: a file the daemon does not hold
     * is loaded first (with its `progress` events), under its file name, with the load options
     * given here (loadOptionsSchema: nCtx, backend, budgets…) and the daemon's defaults for the
     * rest. A model held whose load differs from a load option given here is reloaded with it
     * when idle, and refused with NT_E_BUSY while it has requests in flight, as `load` does.
     */
    model: modelReferenceSchema,
    /** The conversation so far, oldest first; usually ends with a user message. */
    messages: z.array(chatMessageSchema).min(1),
    /**
     * How long the model stays loaded after this request ends (see keepAliveSchema); it replaces
     * the model's keep-alive. Default: the keep-alive the model has (from its load, else the daemon's default).
     */
    keepAlive: keepAliveSchema.optional(),
    ...samplingParamsSchema.shape,
    ...loadOptionsSchema.shape,
  }),
  event: generationStreamEventSchema,
  /** The generation, and the name of the model that made it (a request may name it by path). */
  result: generationResultSchema.extend({ model: z.string() }),
};
