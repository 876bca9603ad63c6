import { assertLittleEndianHost } from "./assertLittleEndianHost.js";
import { f32BitsToHalf } from "./floatEncoding.js";

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
