// ntd.sock's transport, as protocol/README.md's "Transport and framing" states it: where the
// socket is, and how one message becomes a frame (FrameDecoder is the other direction).
import { NtError } from "./NtError.js";
import { wireCodec } from "./wireCodec.js";

/**
 * Where ntd listens and ntctl connects unless told otherwise: $NT_SOCKET, else /run/ntd/ntd.sock
 * (the RuntimeDirectory systemd creates for the ntd unit).
 */
export function defaultSocketPath(env: NodeJS.ProcessEnv = process.env): string {
  return env.NT_SOCKET || "/run/ntd/ntd.sock";
}

/**
 * The largest frame body either side accepts on ntd.sock, in bytes (16 MiB). Far above any
 * control message; it bounds what a hostile or broken peer can make the other side buffer.
 */
export const MAX_FRAME_BYTES = 16 * 1024 * 1024;

/** Byte length of the frame header: the body length as an unsigned 32-bit big-endian integer. */
export const FRAME_HEADER_BYTES = 4;

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
  const frame = Buffer.allocUnsafe(FRAME_HEADER_BYTES + body.length);
  frame.writeUInt32BE(body.length, 0);
  body.copy(frame, FRAME_HEADER_BYTES);
  return frame;
}
