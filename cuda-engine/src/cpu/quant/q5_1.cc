// Q5_1 weights (quant/blocks.h) dotted against Q8_1 activations (see q4_1.cc for why).
#include <cmath>

#include "cpu/quant/avx2.h"
#include "cpu/quant/block32_tokens.h"
#include "cpu/quant/quants.h"
#include "quant/half.h"

namespace nt::cpu::quant {

namespace {
const BlockQ5_1* blocks(const uint8_t* p) { return reinterpret_cast<const BlockQ5_1*>(p); }
}  // namespace

float vec_dot_q5_1(int64_t n, const uint8_t* w, const uint8_t* act) {
  const BlockQ8_1* y = reinterpret_cast<const BlockQ8_1*>(act);
  float sum = 0.0f;
  for (int64_t b = 0; b < n / kBlock32; ++b) {
    const BlockQ5_1& x = blocks(w)[b];
    int sumi = 0;
    for (int j = 0; j < kBlock32 / 2; ++j) {
      int low, high;
      weights_at(x, j, low, high);
      sumi += low * y[b].qs[j] + high * y[b].qs[j + 16];
    }
    sum += (fp16_to_fp32(x.d) * fp16_to_fp32(y[b].d)) * sumi + fp16_to_fp32(x.m) * fp16_to_fp32(y[b].s);
  }
  return sum;
}

#if NT_X86
namespace {
// How the AVX2 kernels read a Q5_1 block: its vec_dot below and the multi-token ones
// (block32_tokens.h), which must decode it alike.
struct Q5_1Format {
  using Block = BlockQ5_1;
  using Act = BlockQ8_1;
  static constexpr bool kSigned = false;
  NT_TARGET_AVX2 static __m256i weights(const BlockQ5_1& x) {
    return _mm256_or_si256(unpack_nibbles(x.qs), _mm256_and_si256(expand_bits(x.qh), _mm256_set1_epi8(0x10)));
  }
};
}  // namespace

NT_TARGET_AVX2 float vec_dot_q5_1_avx2(int64_t n, const uint8_t* w, const uint8_t* act) {
  const BlockQ8_1* y = reinterpret_cast<const BlockQ8_1*>(act);
  __m256 acc = _mm256_setzero_ps();
  float offsets = 0.0f;
  for (int64_t b = 0; b < n / kBlock32; ++b) {
    const BlockQ5_1& x = blocks(w)[b];
    offsets = std::fma(f16_to_f32(x.m), f16_to_f32(y[b].s), offsets);  // exact product: fused or not
    const __m256i qx = Q5_1Format::weights(x);
    const __m256i qy = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(y[b].qs));
    const __m256 d = _mm256_set1_ps(f16_to_f32(x.d) * f16_to_f32(y[b].d));
    acc = _mm256_fmadd_ps(_mm256_cvtepi32_ps(dot_u8_i8_lanes(qx, qy)), d, acc);
  }
  return hsum_lanes(acc) + offsets;
}

NT_TARGET_AVX2 void vec_dot_q5_1_tokens_avx2(const DotTokens& args) {
  run_tokens<Block32Tokens<Q5_1Format>>(args);
}
NT_TARGET_AVX2 void vec_dot_q5_1_rows_avx2(const DotRows& args) {
  run_rows<Block32Tokens<Q5_1Format>>(args);
}
NT_TARGET_AVX512 void vec_dot_q5_1_tokens_avx512(const DotTokens& args) {
  run_tokens<Block32Tokens512<Q5_1Format>>(args);
}
#endif

}  // namespace nt::cpu::quant
