/** Starting capacity; a header with a 128k-token vocabulary grows it a dozen times, which is cheap. */
const initialCapacity = 4096;

/**
 * A growable little-endian byte buffer for GGUF headers (GGUF is little-endian; DataView's
 * `littleEndian` flag makes that explicit rather than relying on the host's order).
 */
export class ByteBuilder {
  private buffer = new Uint8Array(initialCapacity);
  private view = new DataView(this.buffer.buffer);
  private used = 0;

  /** Bytes written so far. */
  get length(): number {
    return this.used;
  }

  u8(value: number): void { this.reserve(1).setUint8(this.used - 1, value); }
  i8(value: number): void { this.reserve(1).setInt8(this.used - 1, value); }
  u16(value: number): void { this.reserve(2).setUint16(this.used - 2, value, true); }
  i16(value: number): void { this.reserve(2).setInt16(this.used - 2, value, true); }
  u32(value: number): void { this.reserve(4).setUint32(this.used - 4, value, true); }
  i32(value: number): void { this.reserve(4).setInt32(this.used - 4, value, true); }
  f32(value: number): void { this.reserve(4).setFloat32(this.used - 4, value, true); }
  f64(value: number): void { this.reserve(8).setFloat64(this.used - 8, value, true); }
  u64(value: bigint): void { this.reserve(8).setBigUint64(this.used - 8, value, true); }
  i64(value: bigint): void { this.reserve(8).setBigInt64(this.used - 8, value, true); }

  /** Appends raw bytes. */
  bytes(data: Uint8Array): void {
    this.reserve(data.length);
    this.buffer.set(data, this.used - data.length);
  }

  /** Appends a GGUF string: u64 byte length, then the UTF-8 bytes, no NUL (GGUF spec `gguf_string_t`). */
  ggufString(utf8: Uint8Array): void {
    this.u64(BigInt(utf8.length));
    this.bytes(utf8);
  }

  /** The bytes written, as a Buffer sharing no memory with the builder. */
  finish(): Buffer {
    return Buffer.from(this.buffer.subarray(0, this.used));
  }

  /** Makes room for `n` more bytes, advances the write position, returns the view to write through. */
  private reserve(n: number): DataView {
    if (this.used + n > this.buffer.length) {
      const grown = new Uint8Array(Math.max(this.buffer.length * 2, this.used + n));
      grown.set(this.buffer.subarray(0, this.used));
      this.buffer = grown;
      this.view = new DataView(grown.buffer);
    }
    this.used += n;
    return this.view;
  }
}
