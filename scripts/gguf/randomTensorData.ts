import { assertLittleEndianHost, encodeFloats, fromHalfBits, toHalfBits } from "./floatEncoding.js";
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
   * Block-quantized types: each block's f16 scale d is uniform in [min, max] before f16 rounding;
   * both must be positive normal f16 values. Where the type also has a min field (Q4_1/Q5_1's m,
   * the K-quants' dmin) it is set from d so that the block's weights average zero
   * ({@link centringMinRatio}), as trained weights do. The other bytes (quants, packed sub-block
   * scales) are uniformly random, which is a valid block for every supported type. Default
   * [1e-3, 1e-2].
   */
  blockScaleRange?: readonly [number, number];
  /** Upper bound on a chunk's size in bytes (at least one element, or four blocks, per chunk). Default 1 MiB. */
  chunkBytes?: number;
}

/**
 * Byte offsets of the f16 scale fields inside one block, from ggml-common.h's block structs:
 * Q4_0/Q5_0/Q8_0 start with d; Q4_1/Q5_1 with d, m; Q4_K/Q5_K with d, dmin; Q2_K ends with d,
 * dmin after scales[16] + qs[64]; Q3_K and Q6_K end with d. The second field, where there is
 * one, is the min field.
 */
const scaleFieldOffsets: Partial<Record<SupportedGgmlTypeName, readonly number[]>> = {
  Q4_0: [0], Q4_1: [0, 2], Q5_0: [0], Q5_1: [0, 2], Q8_0: [0],
  Q2_K: [80, 82], Q3_K: [108], Q4_K: [0, 2], Q5_K: [0, 2], Q6_K: [208],
};

/**
 * The min field as a multiple of d that centres a block of uniformly random quants on zero.
 * Q4_1/Q5_1 dequantize to d·q + m (q∈0..15 / 0..31): m = −d·E[q]. The K-quants dequantize to
 * d·sc·q − dmin·m with sc and m drawn alike (6-bit, or Q2_K's 4-bit): dmin = d·E[q] (Q2_K q∈0..3,
 * Q4_K 0..15, Q5_K 0..31). With dmin drawn like d instead, a Q4_K block averaged ~0.6 of its RMS:
 * every row of a matrix shared one large offset, so a product's outputs took the sign of the
 * input's sum, and a generated 70B's SwiGLU outputs fell to ~1e-33 — whose subnormal products in
 * the CPU's dot kernels cost Intel cores microcode assists (issue 13: its down ran at 25 GB/s).
 * Types without a min field are centred already, or off by at most a tenth of their RMS (Q4_0's
 * d·(q−8) averages −0.5·d against an RMS of 4.6·d).
 */
const centringMinRatio: Partial<Record<SupportedGgmlTypeName, number>> = {
  Q4_1: -7.5, Q5_1: -15.5, Q2_K: 1.5, Q4_K: 7.5, Q5_K: 15.5,
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
  return blockChunks(options.seed, scaleRange, type.typeSize, offsets, centringMinRatio[options.type] ?? 0,
    totalBytes / type.typeSize, chunkBytes);
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
  offsets: readonly number[], minRatio: number, blocks: number, chunkBytes: number): Generator<Uint8Array> {
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
    writeScaleFields(bytes, blockBytes, offsets, minRatio, () => min + (max - min) * scales.nextFloat());
    yield bytes;
  }
}

// d from its stream; the min field (offsets[1]) from d as rounded to f16, so the stored pair has
// the exact ratio up to the min field's own rounding.
function writeScaleFields(bytes: Uint8Array, blockBytes: number, [dAt = 0, minAt]: readonly number[],
  minRatio: number, nextScale: () => number): void {
  for (let block = 0; block < bytes.length; block += blockBytes) {
    const dBits = toHalfBits(nextScale(), "f16");
    putHalf(bytes, block + dAt, dBits);
    if (minAt !== undefined) putHalf(bytes, block + minAt, toHalfBits(minRatio * fromHalfBits(dBits, "f16"), "f16"));
  }
}

function putHalf(bytes: Uint8Array, at: number, bits: number): void {
  bytes[at] = bits & 0xff;
  bytes[at + 1] = bits >>> 8;
}

function checkScaleRange([min, max]: readonly [number, number]): [number, number] {
  // Positive normal f16 bounds keep every rounded field finite and non-zero.
  if (!(min >= smallestNormalF16 && max >= min && max <= largestF16)) {
    throw new GgufWriteError("ERR_GGUF_BAD_OPTION",
      `blockScaleRange [${min}, ${max}] is not within the positive normal f16 range [2^-14, 65504]`);
  }
  return [min, max];
}
