#include "cpu/ops/vec_steps.h"

#include <cmath>

#include "quant/half.h"

#if NT_X86
#include <immintrin.h>
#endif

namespace nt::ops {

namespace {

using quant::fp16_to_fp32;
using quant::fp32_to_fp16;

void scale_f16(uint16_t* y, int32_t n, float s) {
  for (int32_t i = 0; i < n; ++i) y[i] = fp32_to_fp16(fp16_to_fp32(y[i]) * s);
}
void mad_f16(uint16_t* y, const uint16_t* x, int32_t n, float s) {
  for (int32_t i = 0; i < n; ++i) y[i] = fp32_to_fp16(std::fma(fp16_to_fp32(x[i]), s, fp16_to_fp32(y[i])));
}
void scale_f32(float* y, int32_t n, float s) {
  for (int32_t i = 0; i < n; ++i) y[i] *= s;
}
void mad_f32(float* y, const float* x, int32_t n, float s) {
  for (int32_t i = 0; i < n; ++i) y[i] = std::fma(x[i], s, y[i]);
}

#if NT_X86
// Eight values at a time, the rest (under 8) by the scalar steps.
NT_TARGET_AVX2 void scale_f16_avx2(uint16_t* y, int32_t n, float s) {
  int32_t i = 0;
  for (; i + 8 <= n; i += 8) {
    __m128i* p = reinterpret_cast<__m128i*>(y + i);
    const __m256 x = _mm256_mul_ps(_mm256_cvtph_ps(_mm_loadu_si128(p)), _mm256_set1_ps(s));
    _mm_storeu_si128(p, _mm256_cvtps_ph(x, _MM_FROUND_TO_NEAREST_INT));
  }
  scale_f16(y + i, n - i, s);
}
NT_TARGET_AVX2 void mad_f16_avx2(uint16_t* y, const uint16_t* x, int32_t n, float s) {
  int32_t i = 0;
  for (; i + 8 <= n; i += 8) {
    __m128i* p = reinterpret_cast<__m128i*>(y + i);
    const __m256 xs = _mm256_cvtph_ps(_mm_loadu_si128(reinterpret_cast<const __m128i*>(x + i)));
    const __m256 sum = _mm256_fmadd_ps(xs, _mm256_set1_ps(s), _mm256_cvtph_ps(_mm_loadu_si128(p)));
    _mm_storeu_si128(p, _mm256_cvtps_ph(sum, _MM_FROUND_TO_NEAREST_INT));
  }
  mad_f16(y + i, x + i, n - i, s);
}
NT_TARGET_AVX2 void scale_f32_avx2(float* y, int32_t n, float s) {
  int32_t i = 0;
  for (; i + 8 <= n; i += 8) _mm256_storeu_ps(y + i, _mm256_mul_ps(_mm256_loadu_ps(y + i), _mm256_set1_ps(s)));
  scale_f32(y + i, n - i, s);
}
NT_TARGET_AVX2 void mad_f32_avx2(float* y, const float* x, int32_t n, float s) {
  int32_t i = 0;
  for (; i + 8 <= n; i += 8) {
    _mm256_storeu_ps(y + i, _mm256_fmadd_ps(_mm256_loadu_ps(x + i), _mm256_set1_ps(s), _mm256_loadu_ps(y + i)));
  }
  mad_f32(y + i, x + i, n - i, s);
}
#endif

}  // namespace

VecSteps vec_steps(cpu::SimdLevel level) {
#if NT_X86
  if (level != cpu::SimdLevel::kScalar) return {scale_f16_avx2, mad_f16_avx2, scale_f32_avx2, mad_f32_avx2};
#endif
  (void)level;
  return {scale_f16, mad_f16, scale_f32, mad_f32};
}

}  // namespace nt::ops
