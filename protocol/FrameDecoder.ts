import { MAX_FRAME_BYTES } from "./maxFrameBytes.js";
import { NtError } from "./NtError.js";
import { wireCodec } from "./wireCodec.js";

const HEADER_BYTES = 4;

/** Options of a FrameDecoder. */
export interface FrameDecoderOptions {
  /** Largest body accepted, in bytes; a larger declared length fails at once. Default MAX_FRAME_BYTES. */
  maxFrameBytes?: number;
}

/**
 * Turns a byte stream, split anywhere, into the messages of its ntd.sock frames (4-byte
 * big-endian length + msgpack body). Bad input throws an NtError (NT_E_FRAME_TOO_LARGE or
 * NT_E_BAD_FRAME); the stream cannot be resynchronised after that, so the decoder stays failed.
 */
export class FrameDecoder {
  readonly #maxFrameBytes: number;
  /** Received bytes not yet decoded. Kept as a list so a large frame arriving in many chunks is copied once. */
  #chunks: Buffer[] = [];
  #bufferedBytes = 0;
  /** Body length of the frame being received, once its header is complete. */
  #bodyBytes: number | undefined;
  #failure: NtError | undefined;

  constructor(options: FrameDecoderOptions = {}) {
    this.#maxFrameBytes = options.maxFrameBytes ?? MAX_FRAME_BYTES;
  }

  /**
   * Takes the next bytes of the stream and returns the messages they complete, in order. Errors
   * are thrown while iterating, after the messages that precede the bad frame.
   */
  push(chunk: Buffer): Generator<unknown, void, undefined> {
    if (chunk.length > 0) {
      this.#chunks.push(chunk);
      this.#bufferedBytes += chunk.length;
    }
    return this.#drain();
  }

  /** Bytes received that do not yet form a complete frame (a peer that closes with some is truncated). */
  get pendingBytes(): number {
    return this.#bufferedBytes;
  }

  *#drain(): Generator<unknown, void, undefined> {
    if (this.#failure) throw this.#failure;
    for (;;) {
      if (this.#bodyBytes === undefined) {
        if (this.#bufferedBytes < HEADER_BYTES) return;
        this.#bodyBytes = this.#readLength(this.#take(HEADER_BYTES));
      }
      if (this.#bufferedBytes < this.#bodyBytes) return;
      const body = this.#take(this.#bodyBytes);
      this.#bodyBytes = undefined;
      yield this.#decodeBody(body);
    }
  }

  /** Validates a frame header; the cap is checked here so an oversized body is never buffered. */
  #readLength(header: Buffer): number {
    const length = header.readUInt32BE(0);
    if (length > this.#maxFrameBytes) {
      this.#fail(new NtError("NT_E_FRAME_TOO_LARGE",
        `frame declares ${length} bytes, above the ${this.#maxFrameBytes}-byte limit`));
    }
    if (length === 0) this.#fail(new NtError("NT_E_BAD_FRAME", "frame declares a zero-length body"));
    return length;
  }

  #decodeBody(body: Buffer): unknown {
    try {
      return wireCodec.unpack(body);
    } catch (err) {
      return this.#fail(new NtError("NT_E_BAD_FRAME",
        `frame body of ${body.length} bytes is not one msgpack value: ${(err as Error).message}`, { cause: err }));
    }
  }

  /** Removes and returns the first `bytes` buffered bytes (the caller checked they are there). */
  #take(bytes: number): Buffer {
    const all = this.#chunks.length === 1 ? this.#chunks[0]! : Buffer.concat(this.#chunks);
    this.#chunks = all.length > bytes ? [all.subarray(bytes)] : [];
    this.#bufferedBytes -= bytes;
    return all.subarray(0, bytes);
  }

  #fail(error: NtError): never {
    this.#failure = error;
    this.#chunks = [];
    this.#bufferedBytes = 0;
    throw error;
  }
}
