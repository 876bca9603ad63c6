import { NtError } from "../NtError.js";
import { wireCodec } from "../wireCodec.js";
import { HELPER_MAX_PACKET_BYTES } from "./helperMaxPacketBytes.js";

/**
 * Encodes one helper.sock message. Today's transport is a stream socket, so the msgpack body is
 * framed as on ntd.sock (4-byte big-endian length); see protocol/helper/README.md for why and for
 * the SOCK_SEQPACKET form it becomes. Throws NT_E_FRAME_TOO_LARGE above HELPER_MAX_PACKET_BYTES.
 */
export function encodeHelperPacket(message: unknown): Buffer {
  const body = wireCodec.pack(message);
  if (body.length > HELPER_MAX_PACKET_BYTES) {
    throw new NtError("NT_E_FRAME_TOO_LARGE",
      `helper message of ${body.length} bytes is above the ${HELPER_MAX_PACKET_BYTES}-byte limit`);
  }
  const packet = Buffer.allocUnsafe(4 + body.length);
  packet.writeUInt32BE(body.length, 0);
  body.copy(packet, 4);
  return packet;
}
