import { z } from "zod";
import { chatMessageSchema } from "./chatMessage.js";
import { generationEventSchema } from "./generationEvent.js";
import { generationResultSchema } from "./generationResult.js";
import { modelReferenceSchema } from "./modelReference.js";
import { samplingParamsSchema } from "./samplingParams.js";

/**
 * `chat`: formats a conversation with the model's chat template (as llama.cpp does, with the
 * assistant's turn opened), tokenizes it with special tokens recognised, then generates like
 * `generate`. A model without a template the daemon can apply is answered with NT_E_UNSUPPORTED.
 */
export const chatVerb = {
  params: z.strictObject({
    /** A loaded model's name, or the absolute path it was loaded from. */
    model: modelReferenceSchema,
    /** The conversation so far, oldest first; usually ends with a user message. */
    messages: z.array(chatMessageSchema).min(1),
    ...samplingParamsSchema.shape,
  }),
  event: generationEventSchema,
  result: generationResultSchema,
};
