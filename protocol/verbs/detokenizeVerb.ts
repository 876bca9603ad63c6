import { z } from "zod";
import { modelReferenceSchema } from "./modelReference.js";
import { tokenIdSchema } from "./tokenId.js";

/** `detokenize`: token ids → text with a loaded model's vocabulary; special tokens render as nothing. */
export const detokenizeVerb = {
  params: z.strictObject({
    /** A loaded model's name, or the absolute path it was loaded from. */
    model: modelReferenceSchema,
    /** Ids below the model's nVocab (others: NT_E_BAD_REQUEST). */
    tokens: z.array(tokenIdSchema),
  }),
  result: z.strictObject({
    text: z.string(),
  }),
};
