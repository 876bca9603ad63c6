import { z } from "zod";

/** The first frame a client sends; the server answers with its own hello or NT_E_PROTOCOL_VERSION. */
export const clientHelloSchema = z.strictObject({
  kind: z.literal("hello"),
  /** The protocol version the client speaks (PROTOCOL_VERSION). */
  protocol: z.int(),
  /** Who is calling, for the daemon's logs, e.g. "ntctl/0.1.0". */
  client: z.string().min(1).max(256),
});

/** Asks for one verb; answered by a `result` or `error` frame with the same id (and `event`s before, for streaming verbs). */
export const requestFrameSchema = z.strictObject({
  kind: z.literal("request"),
  /** Chosen by the client, unique among its requests in flight on this connection. */
  id: z.uint32(),
  /** The verb's name (see VERBS). An unknown verb is answered with NT_E_UNKNOWN_VERB. */
  verb: z.string().min(1).max(128),
  /** The verb's parameters, a map validated by the verb's own schema. */
  params: z.record(z.string(), z.unknown()),
});

/** Asks the server to stop the request with this id; the request then ends with NT_E_CANCELLED. */
export const cancelFrameSchema = z.strictObject({
  kind: z.literal("cancel"),
  id: z.uint32(),
});

/** Any frame a client may send. */
export const clientFrameSchema = z.discriminatedUnion("kind", [
  clientHelloSchema, requestFrameSchema, cancelFrameSchema,
]);

export type ClientHello = z.infer<typeof clientHelloSchema>;
export type RequestFrame = z.infer<typeof requestFrameSchema>;
export type CancelFrame = z.infer<typeof cancelFrameSchema>;
export type ClientFrame = z.infer<typeof clientFrameSchema>;
