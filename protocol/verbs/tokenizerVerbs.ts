import { z } from "zod";
import { modelReferenceSchema } from "./modelReference.js";
import { tokenIdSchema } from "./tokenId.js";

// The verbs that use a loaded model's tokenizer alone: text ↔ token ids.

/** `tokenize`: text → token ids with a loaded model's tokenizer. */
export const tokenizeVerb = {
  params: z.strictObject({
    /** A loaded model's name, or the absolute path it was loaded from. */
    model: modelReferenceSchema,
    text: z.string(),
    /** Add BOS (and EOS) as the model's metadata asks. Default true. */
    addSpecial: z.boolean().optional(),
    /** Turn the text of special tokens ("<|eot_id|>") into those tokens. Default false. */
    parseSpecial: z.boolean().optional(),
  }),
  result: z.strictObject({
    tokens: z.array(tokenIdSchema),
  }),
};

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
