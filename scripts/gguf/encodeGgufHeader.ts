import { ByteBuilder } from "./ByteBuilder.js";
import { GgufValue } from "./GgufValue.js";

/** One tensor info as the header stores it. */
export interface GgufHeaderTensor {
  /** Tensor name, written as a GGUF string. */
  readonly name: string;
  /** Dims in ne order (ne[0] innermost), each written as a u64. */
  readonly dims: readonly bigint[];
  /** ggml type id, written as a u32. */
  readonly typeId: number;
  /** Offset of the tensor's data relative to the start of the data section. */
  readonly offset: number;
}

const utf8 = new TextEncoder();
/** "GGUF" as bytes 47 47 55 46 (GGUF spec: the magic reads as 0x46554747 in a little-endian u32). */
const magic = utf8.encode("GGUF");

/**
 * The bytes of a GGUF header up to the end of the tensor infos, without the padding before the
 * data section: magic, u32 version, u64 tensor count, u64 metadata count, the key/value pairs
 * (GGUF string key, u32 value type, value), then per tensor: name, u32 n_dims, n_dims × u64
 * dims, u32 type, u64 offset. Counts are u64 since GGUF v2; v2 and v3 differ only in the
 * version field for little-endian files (v3 added big-endian support).
 */
export function encodeGgufHeader(version: number, metadata: ReadonlyArray<readonly [string, GgufValue]>,
  tensors: readonly GgufHeaderTensor[]): Buffer {
  const out = new ByteBuilder();
  out.bytes(magic);
  out.u32(version);
  out.u64(BigInt(tensors.length));
  out.u64(BigInt(metadata.length));
  for (const [key, value] of metadata) {
    out.ggufString(utf8.encode(key));
    out.u32(GgufValue.typeId(value.type));
    value.encode(out);
  }
  for (const tensor of tensors) {
    out.ggufString(utf8.encode(tensor.name));
    out.u32(tensor.dims.length);
    for (const dim of tensor.dims) out.u64(dim);
    out.u32(tensor.typeId);
    out.u64(BigInt(tensor.offset));
  }
  return out.finish();
}
