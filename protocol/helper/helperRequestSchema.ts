import { z } from "zod";

/**
 * The one message a client sends on helper.sock: a request. No hello: the peer is identified by
 * SO_PEERCRED, not by anything it says, and client and helper ship in one package. `params` is
 * checked against the verb's own strict schema (helperVerbs.ts) once the verb is known.
 */
export const helperRequestSchema = z.strictObject({
  kind: z.literal("request"),
  /** Echoed in the answer; the helper serves one request at a time per connection. */
  id: z.uint32(),
  verb: z.string().min(1).max(32),
  params: z.record(z.string(), z.unknown()),
});

export type HelperRequest = z.infer<typeof helperRequestSchema>;
