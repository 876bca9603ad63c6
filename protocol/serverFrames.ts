import { z } from "zod";

/** An error as it travels: a stable code (see errorCodes.ts) and a message for people. */
export const wireErrorSchema = z.strictObject({
  code: z.string().min(1),
  message: z.string(),
});

/** The server's answer to a client hello with a matching protocol version. */
export const serverHelloSchema = z.strictObject({
  kind: z.literal("hello"),
  /** The protocol version the server speaks. */
  protocol: z.int(),
  /** The daemon's package version, e.g. "0.1.0". */
  server: z.string(),
  /** The daemon's process id. */
  pid: z.int().nonnegative(),
});

/** The successful end of a request. */
export const resultFrameSchema = z.strictObject({
  kind: z.literal("result"),
  id: z.uint32(),
  /** The verb's result, a map validated by the verb's result schema. */
  result: z.record(z.string(), z.unknown()),
});

/**
 * The failed end of a request (with its `id`), or, without `id`, a connection-level error after
 * which the server closes the connection.
 */
export const errorFrameSchema = z.strictObject({
  kind: z.literal("error"),
  id: z.uint32().optional(),
  error: wireErrorSchema,
});

/** A progress or partial-output message of a request still in flight (streamed verbs). */
export const eventFrameSchema = z.strictObject({
  kind: z.literal("event"),
  id: z.uint32(),
  event: z.record(z.string(), z.unknown()),
});

/** Any frame a server may send. */
export const serverFrameSchema = z.discriminatedUnion("kind", [
  serverHelloSchema, resultFrameSchema, errorFrameSchema, eventFrameSchema,
]);

export type WireError = z.infer<typeof wireErrorSchema>;
export type ServerHello = z.infer<typeof serverHelloSchema>;
export type ResultFrame = z.infer<typeof resultFrameSchema>;
export type ErrorFrame = z.infer<typeof errorFrameSchema>;
export type EventFrame = z.infer<typeof eventFrameSchema>;
export type ServerFrame = z.infer<typeof serverFrameSchema>;
