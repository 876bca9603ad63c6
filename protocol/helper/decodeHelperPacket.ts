import { NtError } from "../NtError.js";
import { wireCodec } from "../wireCodec.js";

/**
 * The message of one helper.sock packet: exactly one msgpack value filling the packet, else
 * NT_E_BAD_FRAME (an empty packet, truncated msgpack, trailing bytes). The size cap is the
 * transport's (a larger packet never reaches here: MSG_TRUNC).
 */
export function decodeHelperPacket(packet: Buffer): unknown {
  if (packet.length === 0) throw new NtError("NT_E_BAD_FRAME", "an empty packet");
  try {
    return wireCodec.unpack(packet);
  } catch (err) {
    throw new NtError("NT_E_BAD_FRAME", `a packet of ${packet.length} bytes is not one msgpack value: ${(err as Error).message}`, { cause: err });
  }
}
