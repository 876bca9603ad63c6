import type { FrameMemoryBudget } from "../protocol/FrameDecoder.js";
import { NtError } from "../protocol/NtError.js";

/**
 * The default of what all of ntd.sock's connections together may hold of frames not yet complete
 * (config key socketBufferLimit): four frames of the largest size (MAX_FRAME_BYTES). Requests are
 * far smaller (a 128K-token prompt is about 0.5 MB of text) and arrive in a read or a few, so
 * honest clients hold little of it, and only for a moment.
 */
export const FRAME_BUFFER_LIMIT = 64 * 1024 * 1024;

/**
 * The memory all of ntd.sock's connections together may hold for frames they have only partly
 * received. Each connection holds at most one frame (MAX_FRAME_BYTES), but forty peers each
 * holding 16 MiB − 1 bytes would be 640 MiB: this caps the sum. A reservation beyond the limit
 * throws NT_E_BUSY, which drops the connection that asked (the others, and their frames, carry on).
 */
export class FrameBufferBudget implements FrameMemoryBudget {
  readonly #limitBytes: number;
  #usedBytes = 0;

  /** `limitBytes`: the most that may be reserved at once. */
  constructor(limitBytes: number) {
    this.#limitBytes = limitBytes;
  }

  /** Bytes reserved now, by every connection together. */
  get usedBytes(): number {
    return this.#usedBytes;
  }

  reserve(bytes: number): void {
    if (this.#usedBytes + bytes > this.#limitBytes) {
      throw new NtError("NT_E_BUSY", `ntd holds ${this.#usedBytes} bytes of frames its clients have not finished `
        + `sending; ${bytes} more for this one would pass its limit of ${this.#limitBytes} (socketBufferLimit): try again later`);
    }
    this.#usedBytes += bytes;
  }

  release(bytes: number): void {
    this.#usedBytes -= bytes;
  }
}
