import { z } from "zod";
import { generationEventSchema } from "./generationEvent.js";
import { loadProgressEventSchema } from "./loadProgressEvent.js";

/**
 * What `generate` and `chat` stream: `progress` events first when the request loads its model
 * (a path the daemon did not hold), then the generation's `token` and `text` events.
 */
export const generationStreamEventSchema = z.discriminatedUnion("type", [
  ...generationEventSchema.options, loadProgressEventSchema,
]);

export type GenerationStreamEvent = z.infer<typeof generationStreamEventSchema>;
