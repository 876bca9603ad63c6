// Q4_1 weights (quant/blocks.h) dotted against Q8_1 activations, whose s = d_a * sum(q_a) turns
// the offset's contribution m * sum(a) into one multiply.
#include <cmath>

#include "cpu/quant/avx2.h"
#include "cpu/quant/block32_tokens.h"
#include "cpu/quant/quants.h"
#include "quant/half.h"

namespace nt::cpu::quant {

namespace {
const BlockQ4_1* blocks(const uint8_t* p) { return reinterpret_cast<const BlockQ4_1*>(p); }
}  // namespace

float vec_dot_q4_1(int64_t n, const uint8_t* w, const uint8_t* act) {
  const BlockQ8_1* y = reinterpret_cast<const BlockQ8_1*>(act);
  float sum = 0.0f;
  for (int64_t b = 0; b < n / kBlock32; ++b) {
    const BlockQ4_1& x = blocks(w)[b];
    int sumi = 0;
    for (int j = 0; j < kBlock32 / 2; ++j) {
      sumi += (x.qs[j] & 0xF) * y[b].qs[j] + (x.qs[j] >> 4) * y[b].qs[j + 16];
    }
    sum += (fp16_to_fp32(x.d) * fp16_to_fp32(y[b].d)) * sumi + fp16_to_fp32(x.m) * fp16_to_fp32(y[b].s);
  }
  return sum;
}

#if NT_X86
namespace {
// How the AVX2 kernels read a Q4_1 block: its vec_dot below and the multi-token ones
// (block32_tokens.h), which must decode it alike.
struct Q4_1Format {
  using Block = BlockQ4_1;
  using Act = BlockQ8_1;
  static constexpr bool kSigned = false;
  NT_TARGET_AVX2 static __m256i weights(const BlockQ4_1& x) {
    return unpack_nibbles(x.qs);
  }
};
}  // namespace

NT_TARGET_AVX2 float vec_dot_q4_1_avx2(int64_t n, const uint8_t* w, const uint8_t* act) {
  const BlockQ8_1* y = reinterpret_cast<const BlockQ8_1*>(act);
  __m256 acc = _mm256_setzero_ps();
  float offsets = 0.0f;
  for (int64_t b = 0; b < n / kBlock32; ++b) {
    const BlockQ4_1& x = blocks(w)[b];
    offsets = std::fma(f16_to_f32(x.m), f16_to_f32(y[b].s), offsets);  // exact product: fused or not
    const __m256 d = _mm256_set1_ps(f16_to_f32(x.d) * f16_to_f32(y[b].d));
    const __m256i qy = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(y[b].qs));
    acc = _mm256_fmadd_ps(d, _mm256_cvtepi32_ps(dot_u8_i8_lanes(Q4_1Format::weights(x), qy)), acc);
  }
  return hsum_lanes(acc) + offsets;
}

NT_TARGET_AVX2 void vec_dot_q4_1_tokens_avx2(const DotTokens& args) {
  run_tokens<Block32Tokens<Q4_1Format>>(args);
}
NT_TARGET_AVX2 void vec_dot_q4_1_rows_avx2(const DotRows& args) {
  run_rows<Block32Tokens<Q4_1Format>>(args);
}
NT_TARGET_AVX512 void vec_dot_q4_1_tokens_avx512(const DotTokens& args) {
  run_tokens<Block32Tokens512<Q4_1Format>>(args);
}
#endif

}  // namespace nt::cpu::quant
