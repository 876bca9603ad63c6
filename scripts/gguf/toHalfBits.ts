import { f32BitsToHalf, type HalfFloatFormat } from "./floatEncoding.js";

const f32 = new Float32Array(1);
const f32Bits = new Int32Array(f32.buffer);

/**
 * The f16 or bf16 bits nearest to `value`. The value is first stored as a float32, exactly as
 * {@link encodeFloats} does with a Float32Array, so a double that is not a float32 is rounded
 * twice (float32, then 16 bits); every float32 input rounds once, ties to even.
 */
export function toHalfBits(value: number, format: HalfFloatFormat): number {
  f32[0] = value;
  return f32BitsToHalf(f32Bits[0] as number, format);
}
