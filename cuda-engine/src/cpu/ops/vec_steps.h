// The two steps of an attention output accumulator, per position: y *= s (the old terms'
// rescale when the running max rises) and y += x * s (the new value row), over F16 rows as ggml's
// ggml_vec_scale_f16 and ggml_vec_mad_f16 do them (widen, multiply, or multiply-add fused as its
// x86 build's FMA does, round back to F16 at every step) and over F32 rows. Every SIMD level gives
// the same bits: F16C widens exactly and vcvtps2ph with immediate 0 rounds to nearest even as
// quant::fp32_to_fp16 does, and a vector multiply or fused multiply-add rounds once as the scalar
// one. The AVX2 steps do 8 values per instruction: at 4096 positions of a 1B model the scalar ones
// (with software F16 conversions) made a CPU decode token 8 x slower than at position 0.
#pragma once

#include <cstdint>

#include "cpu/simd.h"

namespace nt::ops {

struct VecSteps {
  void (*scale_f16)(uint16_t* y, int32_t n, float s);
  void (*mad_f16)(uint16_t* y, const uint16_t* x, int32_t n, float s);
  void (*scale_f32)(float* y, int32_t n, float s);
  void (*mad_f32)(float* y, const float* x, int32_t n, float s);
};

// The steps of `level` (the scalar ones at kScalar, the AVX2 ones above).
VecSteps vec_steps(cpu::SimdLevel level);

}  // namespace nt::ops
