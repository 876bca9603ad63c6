import { z } from "zod";
import { NtError } from "../NtError.js";
import { errorFrameSchema, eventFrameSchema, resultFrameSchema } from "../serverFrames.js";
import { wireCodec } from "../wireCodec.js";

/**
 * The largest message either side accepts on helper.sock, in bytes (64 KiB). Every helper
 * message is a few hundred bytes (a status of a handful of devices is the largest); a root process
 * has no reason to buffer more from a peer it does not trust.
 */
export const HELPER_MAX_PACKET_BYTES = 64 * 1024;

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

/**
 * What the helper sends: the same `result`, `error` and `event` messages as ntd.sock (one
 * vocabulary for clients), but never a hello. An `error` without `id` is about the connection,
 * which the helper then closes.
 */
export const helperResponseSchema = z.discriminatedUnion("kind", [
  resultFrameSchema, errorFrameSchema, eventFrameSchema,
]);
export type HelperResponse = z.infer<typeof helperResponseSchema>;

/**
 * Encodes one helper.sock message as one SOCK_SEQPACKET packet: the msgpack body alone, no length
 * prefix (the kernel keeps packet boundaries). Throws NT_E_FRAME_TOO_LARGE above
 * HELPER_MAX_PACKET_BYTES.
 */
export function encodeHelperPacket(message: unknown): Buffer {
  const body = wireCodec.pack(message);
  if (body.length > HELPER_MAX_PACKET_BYTES) {
    throw new NtError("NT_E_FRAME_TOO_LARGE",
      `helper message of ${body.length} bytes is above the ${HELPER_MAX_PACKET_BYTES}-byte limit`);
  }
  return body;
}

/**
 * The message of one helper.sock packet: exactly one plain msgpack value filling the packet, else
 * NT_E_BAD_FRAME (an empty packet, truncated msgpack, trailing bytes, an extension type — see
 * wireCodec). The size cap is the transport's (a larger packet never reaches here: MSG_TRUNC).
 */
export function decodeHelperPacket(packet: Buffer): unknown {
  if (packet.length === 0) throw new NtError("NT_E_BAD_FRAME", "an empty packet");
  try {
    return wireCodec.unpack(packet);
  } catch (err) {
    throw new NtError("NT_E_BAD_FRAME", `a packet of ${packet.length} bytes is not one plain msgpack value: ${(err as Error).message}`, { cause: err });
  }
}
