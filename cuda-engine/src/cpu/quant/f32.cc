// F32 weights, dotted with F32 activations as ggml_vec_dot_f32 does (ggml-cpu/vec.cpp).
#include <cmath>
#include <cstring>

#include "cpu/quant/avx2.h"
#include "cpu/quant/quants.h"

namespace nt::cpu::quant {

void quantize_row_f32(const float* x, uint8_t* dst, int64_t n) { std::memcpy(dst, x, n * 4); }

// ggml's scalar build adds the f32 products in double.
float vec_dot_f32(int64_t n, const uint8_t* w, const uint8_t* act) {
  const float* x = reinterpret_cast<const float*>(w);
  const float* y = reinterpret_cast<const float*>(act);
  double sum = 0.0;
  for (int64_t i = 0; i < n; ++i) sum += static_cast<double>(x[i] * y[i]);
  return static_cast<float>(sum);
}

#if NT_X86
// ggml's AVX build: four 8-lane FMA accumulators over 32 elements at a time, then the n % 32
// tail (rows of real models never have one) added in order in float. ggml's binary, as GCC 12
// -O3 vectorizes that loop, rounds the tail's products before adding them, except for the last
// n % 4, which it fuses.
NT_TARGET_AVX2 float vec_dot_f32_avx2(int64_t n, const uint8_t* w, const uint8_t* act) {
  const float* x = reinterpret_cast<const float*>(w);
  const float* y = reinterpret_cast<const float*>(act);
  const int64_t whole = n & ~int64_t{31};
  __m256 acc[4] = {_mm256_setzero_ps(), _mm256_setzero_ps(), _mm256_setzero_ps(),
                   _mm256_setzero_ps()};
  for (int64_t i = 0; i < whole; i += 32) {
    for (int j = 0; j < 4; ++j) {
      acc[j] = _mm256_fmadd_ps(_mm256_loadu_ps(x + i + 8 * j), _mm256_loadu_ps(y + i + 8 * j), acc[j]);
    }
  }
  float sum = reduce_four_accumulators(acc);
  const int64_t unfused = whole + ((n - whole) & ~int64_t{3});
  for (int64_t i = whole; i < unfused; ++i) sum += x[i] * y[i];
  for (int64_t i = unfused; i < n; ++i) sum = std::fma(x[i], y[i], sum);
  return sum;
}
#endif

}  // namespace nt::cpu::quant
