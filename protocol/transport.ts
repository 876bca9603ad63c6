import { MAX_FRAME_BYTES } from "./maxFrameBytes.js";
import { NtError } from "./NtError.js";
import { wireCodec } from "./wireCodec.js";

/** Byte length of the frame header: the body length as an unsigned 32-bit big-endian integer. */
const HEADER_BYTES = 4;

/**
 * Encodes one message as an ntd.sock frame: 4-byte big-endian body length, then the msgpack
 * body. Throws NT_E_FRAME_TOO_LARGE rather than send a frame the peer would refuse.
 */
export function encodeFrame(message: unknown): Buffer {
  const body = wireCodec.pack(message);
  if (body.length > MAX_FRAME_BYTES) {
    throw new NtError("NT_E_FRAME_TOO_LARGE",
      `message of ${body.length} bytes is above the ${MAX_FRAME_BYTES}-byte frame limit`);
  }
  const frame = Buffer.allocUnsafe(HEADER_BYTES + body.length);
  frame.writeUInt32BE(body.length, 0);
  body.copy(frame, HEADER_BYTES);
  return frame;
}
