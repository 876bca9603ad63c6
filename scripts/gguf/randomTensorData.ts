import { assertLittleEndianHost, encodeFloats, toHalfBits } from "./floatEncoding.js";
import { GgufWriteError } from "./GgufWriteError.js";
import { ggmlTypes, type GgmlTypeInfo, type SupportedGgmlTypeName } from "./ggmlTypes.js";
import { Mulberry32 } from "./Mulberry32.js";
import { tensorByteSize } from "./tensorByteSize.js";

/** What to generate; see {@link randomTensorData}. */
export interface RandomTensorDataOptions {
  /** The tensor type; every supported type is generated as valid data. */
  type: SupportedGgmlTypeName;
  /** The shape in ne order (ne[0] innermost); same rules as the writer's. */
  shape: readonly number[];
  /** PRNG seed (taken modulo 2^32). Same seed, type and shape give the same bytes, whatever chunkBytes is. */
  seed: number;
  /** F32/F16/BF16: values are uniform in [center - scale, center + scale). Default 0. */
  center?: number;
  /** F32/F16/BF16: half-width of the value range. Default 1. */
  scale?: number;
  /**
   * Block-quantized types: every f16 scale field (d, and dmin or m where the type has one) is
   * uniform in [min, max] before f16 rounding; both must be positive normal f16 values, so each
   * field is finite and positive. The other bytes (quants, packed sub-block scales) are
   * uniformly random, which is a valid block for every supported type. Default [1e-3, 1e-2].
   */
  blockScaleRange?: readonly [number, number];
  /** Upper bound on a chunk's size in bytes (at least one element, or four blocks, per chunk). Default 1 MiB. */
  chunkBytes?: number;
}

/**
 * Byte offsets of the f16 scale fields inside one block, from ggml-common.h's block structs:
 * Q4_0/Q5_0/Q8_0 start with d; Q4_1/Q5_1 with d, m; Q4_K/Q5_K with d, dmin; Q2_K ends with d,
 * dmin after scales[16] + qs[64]; Q3_K and Q6_K end with d.
 */
const scaleFieldOffsets: Partial<Record<SupportedGgmlTypeName, readonly number[]>> = {
  Q4_0: [0], Q4_1: [0, 2], Q5_0: [0], Q5_1: [0, 2], Q8_0: [0],
  Q2_K: [80, 82], Q3_K: [108], Q4_K: [0, 2], Q5_K: [0, 2], Q6_K: [208],
};

const smallestNormalF16 = 2 ** -14;
const largestF16 = 65504;

/**
 * Deterministic random data for one tensor, as a generator of chunks (each a fresh
 * Uint8Array of at most `chunkBytes`), so a 40 GB tensor is never in memory. Throws a
 * GgufWriteError for a bad shape or bad options before yielding anything.
 */
export function randomTensorData(options: RandomTensorDataOptions): Generator<Uint8Array> {
  assertLittleEndianHost();
  const type: GgmlTypeInfo = ggmlTypes[options.type];
  const totalBytes = tensorByteSize(type, options.shape, "random tensor");
  const chunkBytes = options.chunkBytes ?? 1 << 20;
  if (!Number.isSafeInteger(chunkBytes) || chunkBytes < 1) {
    throw new GgufWriteError("ERR_GGUF_BAD_OPTION", `chunkBytes ${chunkBytes} is not a positive integer`);
  }
  const offsets = scaleFieldOffsets[options.type];
  if (offsets === undefined) {
    return floatChunks(options, type.typeSize, totalBytes / type.typeSize, chunkBytes);
  }
  const scaleRange = checkScaleRange(options.blockScaleRange ?? [1e-3, 1e-2]);
  return blockChunks(options.seed, scaleRange, type.typeSize, offsets, totalBytes / type.typeSize, chunkBytes);
}

function* floatChunks(options: RandomTensorDataOptions, elementBytes: number, elements: number,
  chunkBytes: number): Generator<Uint8Array> {
  const { center = 0, scale = 1 } = options;
  const floatType = options.type as "F32" | "F16" | "BF16";
  const rng = new Mulberry32(options.seed);
  const perChunk = Math.max(1, Math.floor(chunkBytes / elementBytes));
  for (let done = 0; done < elements; done += perChunk) {
    const values = new Float32Array(Math.min(perChunk, elements - done));
    for (let i = 0; i < values.length; i++) values[i] = center + scale * (2 * rng.nextFloat() - 1);
    yield encodeFloats(values, floatType);
  }
}

function* blockChunks(seed: number, [min, max]: readonly [number, number], blockBytes: number,
  offsets: readonly number[], blocks: number, chunkBytes: number): Generator<Uint8Array> {
  // Two streams keep the output independent of chunkBytes: the bulk stream advances by whole
  // u32s, so chunks are kept to multiples of 4 blocks (4 × blockBytes is a multiple of 4 bytes),
  // and scale fields draw from their own stream in block order. 0x9e3779b9 (the golden-ratio
  // constant) just decorrelates the second seed from the first.
  const bulk = new Mulberry32(seed);
  const scales = new Mulberry32((seed ^ 0x9e3779b9) >>> 0);
  const perChunk = Math.max(4, 4 * Math.floor(chunkBytes / blockBytes / 4));
  for (let done = 0; done < blocks; done += perChunk) {
    const count = Math.min(perChunk, blocks - done);
    const words = new Uint32Array(Math.ceil((count * blockBytes) / 4));
    bulk.fill(words);
    const bytes = new Uint8Array(words.buffer, 0, count * blockBytes);
    writeScaleFields(bytes, blockBytes, offsets, () => min + (max - min) * scales.nextFloat());
    yield bytes;
  }
}

function writeScaleFields(bytes: Uint8Array, blockBytes: number, offsets: readonly number[],
  nextScale: () => number): void {
  for (let block = 0; block < bytes.length; block += blockBytes) {
    for (const offset of offsets) {
      const bits = toHalfBits(nextScale(), "f16");
      bytes[block + offset] = bits & 0xff;
      bytes[block + offset + 1] = bits >>> 8;
    }
  }
}

function checkScaleRange([min, max]: readonly [number, number]): [number, number] {
  // Positive normal f16 bounds keep every rounded field finite and non-zero.
  if (!(min >= smallestNormalF16 && max >= min && max <= largestF16)) {
    throw new GgufWriteError("ERR_GGUF_BAD_OPTION",
      `blockScaleRange [${min}, ${max}] is not within the positive normal f16 range [2^-14, 65504]`);
  }
  return [min, max];
}
