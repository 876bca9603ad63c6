// BF16 weights. The activation row is rounded to bf16 too (BF16's vec_dot_type is BF16) and the
// rows are dotted in f32 as ggml_vec_dot_bf16 does (ggml-cpu/vec.cpp).
#include "cpu/quant/avx2.h"
#include "cpu/quant/quants.h"
#include "quant/half.h"

namespace nt::cpu::quant {

namespace {
const uint16_t* halves(const uint8_t* p) { return reinterpret_cast<const uint16_t*>(p); }
}  // namespace

void quantize_row_bf16(const float* x, uint8_t* dst, int64_t n) {
  uint16_t* y = reinterpret_cast<uint16_t*>(dst);
  for (int64_t i = 0; i < n; ++i) y[i] = fp32_to_bf16(x[i]);
}

// ggml's scalar build adds the f32 products in double.
float vec_dot_bf16(int64_t n, const uint8_t* w, const uint8_t* act) {
  const uint16_t* x = halves(w);
  const uint16_t* y = halves(act);
  double sum = 0.0;
  for (int64_t i = 0; i < n; ++i) sum += static_cast<double>(bf16_to_fp32(x[i]) * bf16_to_fp32(y[i]));
  return static_cast<float>(sum);
}

#if NT_X86
namespace {
NT_TARGET_AVX2 inline __m256 load_bf16(const uint16_t* p) {
  const __m256i widened = _mm256_cvtepu16_epi32(_mm_loadu_si128(reinterpret_cast<const __m128i*>(p)));
  return _mm256_castsi256_ps(_mm256_slli_epi32(widened, 16));
}
}  // namespace

// ggml's AVX2 build (no AVX512): four 8-lane accumulators over 32 elements at a time, combined as
// (c1 + c3) + (c2 + c4), then the tail in double. ggml's source multiplies and then adds, but
// GCC (ggml's usual compiler; -ffp-contract=fast is its default) fuses the two into an FMA, so
// the binary, which is what we agree with, uses FMA.
NT_TARGET_AVX2 float vec_dot_bf16_avx2(int64_t n, const uint8_t* w, const uint8_t* act) {
  const uint16_t* x = halves(w);
  const uint16_t* y = halves(act);
  __m256 c[4] = {_mm256_setzero_ps(), _mm256_setzero_ps(), _mm256_setzero_ps(), _mm256_setzero_ps()};
  int64_t i = 0;
  for (; i + 32 <= n; i += 32) {
    for (int j = 0; j < 4; ++j) {
      c[j] = _mm256_fmadd_ps(load_bf16(x + i + 8 * j), load_bf16(y + i + 8 * j), c[j]);
    }
  }
  double sum = hsum_lanes(_mm256_add_ps(_mm256_add_ps(c[0], c[2]), _mm256_add_ps(c[1], c[3])));
  for (; i < n; ++i) sum += static_cast<double>(bf16_to_fp32(x[i]) * bf16_to_fp32(y[i]));
  return static_cast<float>(sum);
}
#endif

}  // namespace nt::cpu::quant
