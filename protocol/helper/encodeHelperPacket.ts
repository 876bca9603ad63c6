import { NtError } from "../NtError.js";
import { wireCodec } from "../wireCodec.js";
import { HELPER_MAX_PACKET_BYTES } from "./helperMaxPacketBytes.js";

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
