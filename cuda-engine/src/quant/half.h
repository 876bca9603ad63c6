// IEEE half (f16) and bfloat16 (bf16) to and from f32, bit-exact with ggml's CPU backend on x86:
// f32 -> f16 rounds to nearest, ties to even, as vcvtps2ph with rounding immediate 0 does (ggml's
// GGML_CPU_FP32_TO_FP16 is _cvtss_sh(x, 0) on F16C machines); f32 -> bf16 is
// ggml_compute_fp32_to_bf16: round to nearest even, NaN forced quiet. Widening is exact.
#pragma once

#include <cstdint>
#include <cstring>

namespace nt::quant {

inline uint32_t float_bits(float f) {
  uint32_t u;
  std::memcpy(&u, &f, sizeof u);
  return u;
}

inline float bits_float(uint32_t u) {
  float f;
  std::memcpy(&f, &u, sizeof f);
  return f;
}

inline float fp16_to_fp32(uint16_t h) {
  const uint32_t sign = static_cast<uint32_t>(h & 0x8000) << 16;
  const uint32_t exponent = (h >> 10) & 0x1F;
  const uint32_t mantissa = h & 0x3FF;
  if (exponent == 0x1F) return bits_float(sign | 0x7F800000 | (mantissa << 13));  // inf, NaN
  if (exponent != 0) return bits_float(sign | ((exponent + 112) << 23) | (mantissa << 13));
  // Subnormal (or zero): mantissa * 2^-24, exact in f32.
  const float magnitude = static_cast<float>(mantissa) * 0x1p-24f;
  return sign ? -magnitude : magnitude;
}

inline uint16_t fp32_to_fp16(float f) {
  const uint32_t x = float_bits(f);
  const uint16_t sign = static_cast<uint16_t>((x >> 16) & 0x8000);
  const uint32_t magnitude = x & 0x7FFFFFFF;
  if (magnitude > 0x7F800000) {
    // NaN: keep the top payload bits and set the quiet bit, as vcvtps2ph does.
    return sign | 0x7E00 | ((magnitude >> 13) & 0x3FF);
  }
  // 65520 (0x477FF000) is halfway between 65504, the largest f16, and 2^16; the tie goes to the
  // even neighbour 2^16, which is infinity.
  if (magnitude >= 0x477FF000) return sign | 0x7C00;
  if (magnitude >= 0x38800000) {  // >= 2^-14: a normal f16
    const uint32_t rebased = magnitude - 0x38000000;  // exponent bias 127 -> 15
    const uint32_t rounded = rebased + 0x0FFF + ((rebased >> 13) & 1);
    return sign | static_cast<uint16_t>(rounded >> 13);
  }
  // 2^-25 is half the smallest subnormal 2^-24: the tie rounds to even, i.e. to zero.
  if (magnitude <= 0x33000000) return sign;
  // A subnormal f16: the value in units of 2^-24 is significand >> (126 - exponent).
  const uint32_t exponent = magnitude >> 23;
  const uint32_t significand = (magnitude & 0x7FFFFF) | 0x800000;
  const uint32_t shift = 126 - exponent;  // 14 ... 24
  uint32_t quotient = significand >> shift;
  const uint32_t remainder = significand & ((1u << shift) - 1);
  const uint32_t half = 1u << (shift - 1);
  if (remainder > half || (remainder == half && (quotient & 1))) ++quotient;
  return sign | static_cast<uint16_t>(quotient);
}

inline float bf16_to_fp32(uint16_t h) { return bits_float(static_cast<uint32_t>(h) << 16); }

inline uint16_t fp32_to_bf16(float f) {
  const uint32_t x = float_bits(f);
  if ((x & 0x7FFFFFFF) > 0x7F800000) return static_cast<uint16_t>((x >> 16) | 64);  // quiet NaN
  return static_cast<uint16_t>((x + (0x7FFF + ((x >> 16) & 1))) >> 16);
}

}  // namespace nt::quant
