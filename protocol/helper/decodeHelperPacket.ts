import { NtError } from "../NtError.js";
import { wireCodec } from "../wireCodec.js";

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
