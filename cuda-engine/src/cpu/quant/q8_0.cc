// Q8_0 (quant/blocks.h), both a weight format and the activation format that Q4_0, Q5_0 and
// Q8_0 weights dot against: its quantizers and its dot product.
#include <cmath>

#include "cpu/quant/avx2.h"
#include "cpu/quant/block32_tokens.h"
#include "cpu/quant/quants.h"
#include "quant/half.h"

namespace nt::cpu::quant {

namespace {
const BlockQ8_0* blocks(const uint8_t* p) { return reinterpret_cast<const BlockQ8_0*>(p); }
}  // namespace

// ggml's quantize_row_q8_0_ref: d = max|x| / 127, q = roundf(x / d) (halves away from zero).
void quantize_row_q8_0(const float* x, uint8_t* dst, int64_t n) {
  BlockQ8_0* out = reinterpret_cast<BlockQ8_0*>(dst);
  for (int64_t b = 0; b < n / kBlock32; ++b, x += kBlock32) {
    float amax = 0.0f;
    for (int j = 0; j < kBlock32; ++j) amax = std::fmax(amax, std::fabs(x[j]));
    const float d = amax / 127.0f;
    const float id = d != 0.0f ? 1.0f / d : 0.0f;
    out[b].d = fp32_to_fp16(d);
    for (int j = 0; j < kBlock32; ++j) out[b].qs[j] = static_cast<int8_t>(std::roundf(x[j] * id));
  }
}

float vec_dot_q8_0(int64_t n, const uint8_t* w, const uint8_t* act) {
  float sum = 0.0f;
  for (int64_t b = 0; b < n / kBlock32; ++b) {
    const BlockQ8_0& x = blocks(w)[b];
    const BlockQ8_0& y = blocks(act)[b];
    int sumi = 0;
    for (int j = 0; j < kBlock32; ++j) sumi += x.qs[j] * y.qs[j];
    sum += sumi * (fp16_to_fp32(x.d) * fp16_to_fp32(y.d));
  }
  return sum;
}

#if NT_X86
// ggml's x86 quantize_row_q8_0: the same d, but q = round-half-even(x * 127 / max|x|).
NT_TARGET_AVX2 void quantize_row_q8_0_avx2(const float* x, uint8_t* dst, int64_t n) {
  BlockQ8_0* out = reinterpret_cast<BlockQ8_0*>(dst);
  for (int64_t b = 0; b < n / kBlock32; ++b, x += kBlock32) {
    const float amax = round_block32_x86(x, out[b].qs);
    out[b].d = fp32_to_fp16(amax / 127.0f);
  }
}

namespace {
// How the AVX2 kernels read a Q8_0 block: its vec_dot below and the multi-token ones
// (block32_tokens.h), which must decode it alike.
struct Q8_0Format {
  using Block = BlockQ8_0;
  using Act = BlockQ8_0;
  static constexpr bool kSigned = true;
  NT_TARGET_AVX2 static __m256i weights(const BlockQ8_0& x) {
    return _mm256_loadu_si256(reinterpret_cast<const __m256i*>(x.qs));
  }
};
}  // namespace

NT_TARGET_AVX2 float vec_dot_q8_0_avx2(int64_t n, const uint8_t* w, const uint8_t* act) {
  __m256 acc = _mm256_setzero_ps();
  for (int64_t b = 0; b < n / kBlock32; ++b) {
    const BlockQ8_0& x = blocks(w)[b];
    const BlockQ8_0& y = blocks(act)[b];
    const __m256 d = _mm256_set1_ps(f16_to_f32(x.d) * f16_to_f32(y.d));
    const __m256i qx = Q8_0Format::weights(x);
    const __m256i qy = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(y.qs));
    acc = _mm256_fmadd_ps(d, _mm256_cvtepi32_ps(dot_i8_lanes(qx, qy)), acc);
  }
  return hsum_lanes(acc);
}

NT_TARGET_AVX2 void vec_dot_q8_0_tokens_avx2(const DotTokens& args) {
  run_tokens<Block32Tokens<Q8_0Format>>(args);
}
NT_TARGET_AVX2 void vec_dot_q8_0_rows_avx2(const DotRows& args) {
  run_rows<Block32Tokens<Q8_0Format>>(args);
}
NT_TARGET_AVX512 void vec_dot_q8_0_tokens_avx512(const DotTokens& args) {
  run_tokens<Block32Tokens512<Q8_0Format>>(args);
}
#endif

}  // namespace nt::cpu::quant
