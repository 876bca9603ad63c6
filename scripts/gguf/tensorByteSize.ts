import { GgufWriteError } from "./GgufWriteError.js";
import type { GgmlTypeInfo } from "./ggmlTypes.js";

/** GGUF tensor infos carry 1..4 dims (ggml's GGML_MAX_DIMS is 4). */
const maxDims = 4;

/**
 * Bytes a tensor of `type` and `shape` (ne order: ne[0] innermost) occupies in a GGUF data
 * section: (ne[0] / blockSize) × typeSize × ne[1] × ne[2] × ne[3]. Throws a GgufWriteError
 * (ERR_GGUF_BAD_SHAPE) naming `label` when the dims are not 1..4 positive integers, when ne[0]
 * is not a multiple of the block size (a block never spans rows in ggml), or when the size
 * passes Number.MAX_SAFE_INTEGER (offsets are kept as JS numbers).
 */
export function tensorByteSize(type: GgmlTypeInfo, shape: readonly number[], label = "tensor"): number {
  checkDims(shape, label);
  const ne0 = shape[0] as number;
  if (ne0 % type.blockSize !== 0) {
    throw new GgufWriteError("ERR_GGUF_BAD_SHAPE",
      `${label}: ne[0] = ${ne0} is not a multiple of ${type.name}'s block size ${type.blockSize}`);
  }
  // BigInt so that an overflowing product is detected instead of silently rounded.
  let bytes = BigInt(ne0 / type.blockSize) * BigInt(type.typeSize);
  for (const dim of shape.slice(1)) bytes *= BigInt(dim);
  if (bytes > BigInt(Number.MAX_SAFE_INTEGER)) {
    throw new GgufWriteError("ERR_GGUF_BAD_SHAPE",
      `${label}: [${shape.join(", ")}] of ${type.name} is ${bytes} bytes, past Number.MAX_SAFE_INTEGER`);
  }
  return Number(bytes);
}

function checkDims(shape: readonly number[], label: string): void {
  if (shape.length < 1 || shape.length > maxDims) {
    throw new GgufWriteError("ERR_GGUF_BAD_SHAPE",
      `${label}: a shape has 1..${maxDims} dims, got ${shape.length}`);
  }
  for (const [i, dim] of shape.entries()) {
    if (!Number.isSafeInteger(dim) || dim < 1) {
      throw new GgufWriteError("ERR_GGUF_BAD_SHAPE",
        `${label}: ne[${i}] = ${dim} is not a positive integer`);
    }
  }
}
