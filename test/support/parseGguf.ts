/**
 * A minimal GGUF reader for tests, written independently of scripts/gguf so that it checks the
 * writer rather than sharing its mistakes. It reads the header, metadata and tensor infos of a
 * little-endian v2/v3 file held in memory, and throws on anything malformed.
 */

/** A metadata value as read: the GGUF type id and the decoded value. */
export interface ParsedValue {
  type: number;
  value: number | bigint | boolean | string | ParsedArray;
}

/** An array value: element type id and the element values (nested arrays as ParsedArray). */
export interface ParsedArray {
  elementType: number;
  values: (number | bigint | boolean | string | ParsedArray)[];
}

/** One tensor info as read. */
export interface ParsedTensorInfo {
  name: string;
  dims: bigint[];
  typeId: number;
  offset: bigint;
}

/** A parsed GGUF header. */
export interface ParsedGguf {
  version: number;
  metadata: Map<string, ParsedValue>;
  tensors: ParsedTensorInfo[];
  /** Offset just after the last tensor info. */
  headerEnd: number;
  /** general.alignment or 32. */
  alignment: number;
}

/** Reads the header of `file`. */
export function parseGguf(file: Uint8Array): ParsedGguf {
  const reader = new Reader(file);
  const magic = new TextDecoder().decode(reader.take(4));
  if (magic !== "GGUF") throw new Error(`bad magic ${JSON.stringify(magic)}`);
  const version = reader.u32();
  const tensorCount = Number(reader.u64());
  const kvCount = Number(reader.u64());
  const metadata = new Map<string, ParsedValue>();
  for (let i = 0; i < kvCount; i++) {
    const key = reader.string();
    const type = reader.u32();
    if (metadata.has(key)) throw new Error(`duplicate key ${key}`);
    metadata.set(key, { type, value: reader.value(type) });
  }
  const tensors: ParsedTensorInfo[] = [];
  for (let i = 0; i < tensorCount; i++) {
    const name = reader.string();
    const nDims = reader.u32();
    const dims = Array.from({ length: nDims }, () => reader.u64());
    tensors.push({ name, dims, typeId: reader.u32(), offset: reader.u64() });
  }
  const alignmentValue = metadata.get("general.alignment");
  const alignment = alignmentValue === undefined ? 32 : Number(alignmentValue.value);
  return { version, metadata, tensors, headerEnd: reader.position, alignment };
}

class Reader {
  position = 0;
  private readonly view: DataView;

  constructor(private readonly bytes: Uint8Array) {
    this.view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  }

  take(n: number): Uint8Array {
    if (this.position + n > this.bytes.length) throw new Error(`truncated at ${this.position} (+${n})`);
    this.position += n;
    return this.bytes.subarray(this.position - n, this.position);
  }

  u32(): number {
    this.take(4);
    return this.view.getUint32(this.position - 4, true);
  }

  u64(): bigint {
    this.take(8);
    return this.view.getBigUint64(this.position - 8, true);
  }

  string(): string {
    // ignoreBOM: a vocabulary can hold the token U+FEFF itself (Llama 2's does), which the default strips.
    return new TextDecoder("utf-8", { fatal: true, ignoreBOM: true }).decode(this.take(Number(this.u64())));
  }

  value(type: number): ParsedValue["value"] {
    const at = this.position;
    switch (type) {
      case 0: this.take(1); return this.view.getUint8(at);
      case 1: this.take(1); return this.view.getInt8(at);
      case 2: this.take(2); return this.view.getUint16(at, true);
      case 3: this.take(2); return this.view.getInt16(at, true);
      case 4: return this.u32();
      case 5: this.take(4); return this.view.getInt32(at, true);
      case 6: this.take(4); return this.view.getFloat32(at, true);
      case 7: return this.bool();
      case 8: return this.string();
      case 9: return this.array();
      case 10: return this.u64();
      case 11: this.take(8); return this.view.getBigInt64(at, true);
      case 12: this.take(8); return this.view.getFloat64(at, true);
      default: throw new Error(`unknown value type ${type} at ${at}`);
    }
  }

  private bool(): boolean {
    const byte = this.take(1)[0];
    if (byte !== 0 && byte !== 1) throw new Error(`bool byte ${byte} at ${this.position - 1}`);
    return byte === 1;
  }

  private array(): ParsedArray {
    const elementType = this.u32();
    const count = Number(this.u64());
    const values: ParsedArray["values"] = [];
    for (let i = 0; i < count; i++) values.push(this.value(elementType));
    return { elementType, values };
  }
}
