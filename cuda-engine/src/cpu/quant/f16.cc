// F16 weights. ggml rounds the activation row to f16 too (F16's vec_dot_type is F16) and dots
// the two f16 rows in f32 (ggml_vec_dot_f16, ggml-cpu/vec.cpp).
#include "cpu/quant/avx2.h"
#include "cpu/quant/quants.h"
#include "quant/half.h"

namespace nt::cpu::quant {

namespace {
const uint16_t* halves(const uint8_t* p) { return reinterpret_cast<const uint16_t*>(p); }
}  // namespace

void quantize_row_f16(const float* x, uint8_t* dst, int64_t n) {
  uint16_t* y = reinterpret_cast<uint16_t*>(dst);
  for (int64_t i = 0; i < n; ++i) y[i] = fp32_to_fp16(x[i]);
}

// ggml's scalar build adds the f32 products in double.
float vec_dot_f16(int64_t n, const uint8_t* w, const uint8_t* act) {
  const uint16_t* x = halves(w);
  const uint16_t* y = halves(act);
  double sum = 0.0;
  for (int64_t i = 0; i < n; ++i) sum += static_cast<double>(fp16_to_fp32(x[i]) * fp16_to_fp32(y[i]));
  return static_cast<float>(sum);
}

#if NT_X86
// vcvtps2ph with immediate 0 rounds to nearest even, the same as fp32_to_fp16.
NT_TARGET_AVX2 void quantize_row_f16_avx2(const float* x, uint8_t* dst, int64_t n) {
  uint16_t* y = reinterpret_cast<uint16_t*>(dst);
  int64_t i = 0;
  for (; i + 8 <= n; i += 8) {
    _mm_storeu_si128(reinterpret_cast<__m128i*>(y + i), _mm256_cvtps_ph(_mm256_loadu_ps(x + i), 0));
  }
  for (; i < n; ++i) y[i] = fp32_to_fp16(x[i]);
}

// ggml's AVX build: four 8-lane FMA accumulators of widened halves, 32 elements at a time; the
// reduced sum and the n % 32 tail are added in double.
NT_TARGET_AVX2 float vec_dot_f16_avx2(int64_t n, const uint8_t* w, const uint8_t* act) {
  const uint16_t* x = halves(w);
  const uint16_t* y = halves(act);
  const int64_t whole = n & ~int64_t{31};
  __m256 acc[4] = {_mm256_setzero_ps(), _mm256_setzero_ps(), _mm256_setzero_ps(),
                   _mm256_setzero_ps()};
  for (int64_t i = 0; i < whole; i += 32) {
    for (int j = 0; j < 4; ++j) {
      const __m256 xs = _mm256_cvtph_ps(_mm_loadu_si128(reinterpret_cast<const __m128i*>(x + i + 8 * j)));
      const __m256 ys = _mm256_cvtph_ps(_mm_loadu_si128(reinterpret_cast<const __m128i*>(y + i + 8 * j)));
      acc[j] = _mm256_fmadd_ps(xs, ys, acc[j]);
    }
  }
  double sum = reduce_four_accumulators(acc);
  for (int64_t i = whole; i < n; ++i) sum += static_cast<double>(f16_to_f32(x[i]) * f16_to_f32(y[i]));
  return static_cast<float>(sum);
}
#endif

}  // namespace nt::cpu::quant
