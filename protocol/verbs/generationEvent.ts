import { z } from "zod";
import { tokenIdSchema } from "./tokenId.js";

/**
 * The events of `generate` and `chat`, in order: a `token` event per generated token, then at the
 * end possibly one `text` event with text released without a new token (bytes of a character, or
 * of a possible stop string, that were held back). The `text` of all events, concatenated, is the
 * result's `text`.
 */
export const generationEventSchema = z.discriminatedUnion("type", [
  z.strictObject({
    type: z.literal("token"),
    /** The generated token's id. */
    token: tokenIdSchema,
    /**
     * The text this token releases: usually the token's own text; empty while a character's UTF-8
     * bytes are incomplete or a stop string may be starting, then more than one token's worth.
     */
    text: z.string(),
    /** Natural log of the token's probability under the model's distribution. */
    logprob: z.number(),
  }),
  z.strictObject({
    type: z.literal("text"),
    text: z.string(),
  }),
]);

export type GenerationEvent = z.infer<typeof generationEventSchema>;
