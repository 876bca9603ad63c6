// The float encodings of GGUF tensors: F32 as it is, F16 and BF16 rounded from float32 (and read
// back, for the tests), all little-endian.
import { endianness } from "node:os";

/** The two 16-bit float formats GGUF tensors use: IEEE binary16 ("f16") and bfloat16 ("bf16"). */
export type HalfFloatFormat = "f16" | "bf16";

/** The float tensor types whose elements are plain IEEE-style numbers. */
export type FloatTensorType = "F32" | "F16" | "BF16";

/**
 * Tensor bytes for float values: F32 as little-endian float32, F16 and BF16 rounded to nearest,
 * ties to even (the rounding ggml's own converters and numpy use). A plain number array is
 * stored as float32 first, as the GGUF converters do.
 */
export function encodeFloats(values: Float32Array | ArrayLike<number>, type: FloatTensorType): Uint8Array {
  assertLittleEndianHost();
  const floats = values instanceof Float32Array ? values : Float32Array.from(values);
  if (type === "F32") return new Uint8Array(floats.buffer, floats.byteOffset, floats.byteLength).slice();
  const bits = new Int32Array(floats.buffer, floats.byteOffset, floats.length);
  const halves = new Uint16Array(floats.length);
  const format = type === "F16" ? "f16" : "bf16";
  for (let i = 0; i < bits.length; i++) halves[i] = f32BitsToHalf(bits[i] as number, format);
  return new Uint8Array(halves.buffer);
}

/**
 * Throws on a big-endian host. GGUF data is little-endian (the GGUF spec's default byte order)
 * and the float encoders and random-data generators write through typed arrays, which use the
 * host's byte order; on every platform Node runs on in practice (x86-64, arm64) that is LE.
 */
export function assertLittleEndianHost(): void {
  if (endianness() !== "LE") {
    throw new Error("the GGUF tools write tensor data through typed arrays and need a little-endian host");
  }
}

/** One float32 seen three ways, for the conversions of single values below. */
const scratch = new Float32Array(1);
const scratchInt32 = new Int32Array(scratch.buffer);
const scratchUint32 = new Uint32Array(scratch.buffer);

/**
 * The f16 or bf16 bits nearest to `value`. The value is first stored as a float32, exactly as
 * {@link encodeFloats} does with a Float32Array, so a double that is not a float32 is rounded
 * twice (float32, then 16 bits); every float32 input rounds once, ties to even.
 */
export function toHalfBits(value: number, format: HalfFloatFormat): number {
  scratch[0] = value;
  return f32BitsToHalf(scratchInt32[0] as number, format);
}

/** The number that 16 bits of f16 or bf16 encode (exact: both are subsets of float64). */
export function fromHalfBits(bits: number, format: HalfFloatFormat): number {
  if (format === "bf16") {
    // bf16 is the top half of a float32.
    scratchUint32[0] = (bits & 0xffff) << 16;
    return scratch[0] as number;
  }
  const sign = bits & 0x8000 ? -1 : 1;
  const exponent = (bits >>> 10) & 0x1f;
  const mantissa = bits & 0x3ff;
  if (exponent === 0) return sign * mantissa * 2 ** -24;
  if (exponent === 0x1f) return mantissa === 0 ? sign * Infinity : NaN;
  return sign * (1024 + mantissa) * 2 ** (exponent - 25);
}

/**
 * Rounds a float32, given as its 32 bits (as int32 or uint32), to the nearest f16 or bf16
 * (ties to even), returning the 16 bits. Exact for every float32 input, including subnormal
 * results, overflow to infinity, and NaN (kept a NaN, sign kept, quiet bit set so the payload
 * can never collapse to infinity). Integer-only, so it is fast enough for whole tensors; pass
 * bits read through an Int32Array, which V8 keeps as small integers (a uint32 past 2^31 is a
 * heap double and runs several times slower).
 */
export function f32BitsToHalf(bits: number, format: HalfFloatFormat): number {
  return format === "f16" ? f32BitsToF16(bits) : f32BitsToBf16(bits);
}

/** bf16 is the top half of a float32 (same 8-bit exponent), so rounding is one carry add. */
function f32BitsToBf16(bits: number): number {
  const magnitude = bits & 0x7fffffff;
  const sign = (bits >>> 16) & 0x8000;
  if (magnitude > 0x7f800000) return sign | (magnitude >>> 16) | 0x0040;
  // Adding 0x7fff plus the lowest kept bit rounds half to even; a carry out of the mantissa
  // bumps the exponent, which is also right (it yields infinity past the largest finite).
  // Working on the magnitude keeps the sum below 2^31, a small integer for V8.
  return sign | ((magnitude + 0x7fff + ((magnitude >>> 16) & 1)) >>> 16);
}

function f32BitsToF16(bits: number): number {
  const sign = (bits >>> 16) & 0x8000;
  const exponent = (bits >>> 23) & 0xff;
  const mantissa = bits & 0x7fffff;
  if (exponent === 0xff) return sign | 0x7c00 | (mantissa !== 0 ? 0x0200 | (mantissa >>> 13) : 0);
  // Re-bias from float32's 127 to f16's 15.
  const halfExponent = exponent - 127 + 15;
  if (halfExponent >= 0x1f) return sign | 0x7c00;
  if (halfExponent <= 0) return sign | f16Subnormal(mantissa, halfExponent);
  return sign | roundShifted((halfExponent << 23) | mantissa, 13);
}

/**
 * f16 subnormals are m × 2^-24 with m < 1024: shift the full significand (implicit 1 restored)
 * right so that its unit is 2^-24. Anything below 2^-25 rounds to zero (2^-25 itself is the
 * tie between 0 and the smallest subnormal and goes to the even 0).
 */
function f16Subnormal(mantissa: number, halfExponent: number): number {
  if (halfExponent < -10) return 0;
  return roundShifted(mantissa | 0x800000, 14 - halfExponent);
}

/** value >> shift, rounded to nearest, ties to even. A carry into the exponent field is correct. */
function roundShifted(value: number, shift: number): number {
  const kept = value >>> shift;
  const rest = value & ((1 << shift) - 1);
  const half = 1 << (shift - 1);
  return rest > half || (rest === half && (kept & 1) === 1) ? kept + 1 : kept;
}
