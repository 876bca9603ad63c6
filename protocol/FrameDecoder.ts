import { NtError } from "./NtError.js";
import { FRAME_HEADER_BYTES, MAX_FRAME_BYTES } from "./transport.js";
import { wireCodec } from "./wireCodec.js";

/**
 * The first allocation for a body that arrives in pieces (or the body's size, if smaller): one
 * socket read is at most 64 KiB, so smaller steps would only mean more copies.
 */
const FIRST_BODY_ALLOCATION = 64 * 1024;

/**
 * Where a FrameDecoder accounts for the memory it holds, so several decoders (a server's
 * connections) can share one limit.
 */
export interface FrameMemoryBudget {
  /** Asked before the decoder allocates `bytes` more; throwing (an NtError) refuses, and the decoder fails with that error. */
  reserve(bytes: number): void;
  /** Told that `bytes` reserved before are free again. */
  release(bytes: number): void;
}

/** Options of a FrameDecoder. */
export interface FrameDecoderOptions {
  /** Largest body accepted, in bytes; a larger declared length fails at once. Default MAX_FRAME_BYTES. */
  maxFrameBytes?: number;
  /** Where the memory for bodies that arrive in pieces is accounted. Default: none (only maxFrameBytes bounds it). */
  budget?: FrameMemoryBudget;
}

/**
 * Turns a byte stream, split anywhere, into the messages of its ntd.sock frames (4-byte
 * big-endian length + msgpack body). Bad input throws an NtError (NT_E_FRAME_TOO_LARGE or
 * NT_E_BAD_FRAME, or the budget's error); the stream cannot be resynchronised after that, so the
 * decoder stays failed.
 *
 * A body that arrives in pieces is copied into one buffer of its own, grown by doubling up to the
 * declared length; the received chunks are not kept. So what the decoder holds is at most twice
 * what the peer sent of the frame being received, and never the peer's chunks: a stream of
 * one-byte chunks costs no per-chunk objects, and a chunk that completes one frame and starts the
 * next does not keep the first frame's bytes alive.
 */
export class FrameDecoder {
  readonly #maxFrameBytes: number;
  readonly #budget: FrameMemoryBudget | undefined;
  /** Chunks pushed but not yet decoded (a caller that stops iterating leaves the rest here). */
  #queue: Buffer[] = [];
  readonly #header = Buffer.alloc(FRAME_HEADER_BYTES);
  #headerBytes = 0;
  /** Body length of the frame being received, once its header is complete. */
  #bodyBytes: number | undefined;
  /** Storage of the body received so far, when it arrives in pieces; its length is what is reserved. */
  #body: Buffer | undefined;
  #receivedBytes = 0;
  #failure: NtError | undefined;

  constructor(options: FrameDecoderOptions = {}) {
    this.#maxFrameBytes = options.maxFrameBytes ?? MAX_FRAME_BYTES;
    this.#budget = options.budget;
  }

  /**
   * Takes the next bytes of the stream and returns the messages they complete, in order. Errors
   * are thrown while iterating, after the messages that precede the bad frame.
   */
  push(chunk: Buffer): Generator<unknown, void, undefined> {
    if (chunk.length > 0 && this.#failure === undefined) this.#queue.push(chunk);
    return this.#drain();
  }

  /**
   * Bytes received that do not yet form a complete frame, header included: above 0 from a frame's
   * first byte to its last (a peer that closes with some is truncated).
   */
  get pendingBytes(): number {
    const header = this.#bodyBytes === undefined ? this.#headerBytes : FRAME_HEADER_BYTES;
    return header + this.#receivedBytes + this.#queue.reduce((sum, chunk) => sum + chunk.length, 0);
  }

  /** Body length the frame being received declares; undefined until its header is complete. */
  get declaredBytes(): number | undefined {
    return this.#bodyBytes;
  }

  /** Bytes of buffer memory the decoder holds for the frame being received (what it reserved from its budget). */
  get retainedBytes(): number {
    return this.#body?.length ?? 0;
  }

  /**
   * Frees what the decoder holds and returns it to the budget (its connection is gone); pushing
   * afterwards throws NT_E_INTERNAL. Safe to call twice.
   */
  dispose(): void {
    if (this.#failure) return;
    this.#failure = new NtError("NT_E_INTERNAL", "the frame decoder was disposed");
    this.#clear();
  }

  *#drain(): Generator<unknown, void, undefined> {
    if (this.#failure) throw this.#failure;
    while (this.#queue.length > 0) {
      const chunk = this.#queue[0]!;
      const { used, body } = this.#consume(chunk);
      if (used === chunk.length) this.#queue.shift();
      else this.#queue[0] = chunk.subarray(used);
      if (body) yield this.#decodeBody(body);
    }
  }

  /** Takes bytes from the start of `chunk`: the header, then the body; returns how many, and the body once it is complete. */
  #consume(chunk: Buffer): { used: number; body?: Buffer } {
    if (this.#bodyBytes === undefined) {
      const used = chunk.copy(this.#header, this.#headerBytes, 0, FRAME_HEADER_BYTES - this.#headerBytes);
      this.#headerBytes += used;
      if (this.#headerBytes === FRAME_HEADER_BYTES) {
        this.#bodyBytes = this.#readLength(this.#header);
        this.#headerBytes = 0;
      }
      return { used };
    }
    const bodyBytes = this.#bodyBytes;
    if (this.#receivedBytes === 0 && chunk.length >= bodyBytes) {
      // The whole body is in this chunk (every small message): decode it where it lies.
      this.#bodyBytes = undefined;
      return { used: bodyBytes, body: chunk.subarray(0, bodyBytes) };
    }
    const used = Math.min(chunk.length, bodyBytes - this.#receivedBytes);
    this.#store(chunk.subarray(0, used), bodyBytes);
    if (this.#receivedBytes < bodyBytes) return { used };
    const body = this.#body!;
    this.#releaseBody();
    this.#bodyBytes = undefined;
    return { used, body };
  }

  /** Appends part of a body, growing its storage first if needed (asking the budget). */
  #store(piece: Buffer, bodyBytes: number): void {
    const needed = this.#receivedBytes + piece.length;
    const current = this.#body;
    if (current === undefined || current.length < needed) {
      const size = Math.min(bodyBytes, Math.max(needed, 2 * (current?.length ?? 0), FIRST_BODY_ALLOCATION));
      try {
        this.#budget?.reserve(size - (current?.length ?? 0));
      } catch (err) {
        this.#fail(NtError.from(err));
      }
      // allocUnsafeSlow: a buffer of its own, never a slice of Node's shared pool that would keep
      // the pool alive; the bytes past receivedBytes are never read.
      const grown = Buffer.allocUnsafeSlow(size);
      current?.copy(grown, 0, 0, this.#receivedBytes);
      this.#body = grown;
    }
    piece.copy(this.#body!, this.#receivedBytes);
    this.#receivedBytes = needed;
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

  /** Drops the body storage (handed to the decoder of the message, or abandoned) and returns its reservation. */
  #releaseBody(): void {
    const reserved = this.#body?.length ?? 0;
    this.#body = undefined;
    this.#receivedBytes = 0;
    if (reserved > 0) this.#budget?.release(reserved);
  }

  #clear(): void {
    this.#queue = [];
    this.#headerBytes = 0;
    this.#bodyBytes = undefined;
    this.#releaseBody();
  }

  #fail(error: NtError): never {
    this.#failure = error;
    this.#clear();
    throw error;
  }
}
