import type { HalfFloatFormat } from "./floatEncoding.js";

const f32 = new Float32Array(1);
const f32Bits = new Uint32Array(f32.buffer);

/** The number that 16 bits of f16 or bf16 encode (exact: both are subsets of float64). */
export function fromHalfBits(bits: number, format: HalfFloatFormat): number {
  if (format === "bf16") {
    // bf16 is the top half of a float32.
    f32Bits[0] = (bits & 0xffff) << 16;
    return f32[0] as number;
  }
  const sign = bits & 0x8000 ? -1 : 1;
  const exponent = (bits >>> 10) & 0x1f;
  const mantissa = bits & 0x3ff;
  if (exponent === 0) return sign * mantissa * 2 ** -24;
  if (exponent === 0x1f) return mantissa === 0 ? sign * Infinity : NaN;
  return sign * (1024 + mantissa) * 2 ** (exponent - 25);
}
