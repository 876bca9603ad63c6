// Q5_0 weights (quant/blocks.h) dotted against Q8_0 activations.
#include "cpu/quant/avx2.h"
#include "cpu/quant/block32_tokens.h"
#include "cpu/quant/quants.h"
#include "quant/half.h"

namespace nt::cpu::quant {

namespace {
const BlockQ5_0* blocks(const uint8_t* p) { return reinterpret_cast<const BlockQ5_0*>(p); }
}  // namespace

float vec_dot_q5_0(int64_t n, const uint8_t* w, const uint8_t* act) {
  const BlockQ8_0* y = reinterpret_cast<const BlockQ8_0*>(act);
  float sum = 0.0f;
  for (int64_t b = 0; b < n / kBlock32; ++b) {
    const BlockQ5_0& x = blocks(w)[b];
    int sumi = 0;
    for (int j = 0; j < kBlock32 / 2; ++j) {
      int low, high;
      weights_at(x, j, low, high);
      sumi += low * y[b].qs[j] + high * y[b].qs[j + 16];
    }
    sum += (fp16_to_fp32(x.d) * fp16_to_fp32(y[b].d)) * sumi;
  }
  return sum;
}

#if NT_X86
namespace {
// How the AVX2 kernels read a Q5_0 block: its vec_dot below and the multi-token ones
// (block32_tokens.h), which must decode it alike.
struct Q5_0Format {
  using Block = BlockQ5_0;
  using Act = BlockQ8_0;
  static constexpr bool kSigned = true;
  NT_TARGET_AVX2 static __m256i weights(const BlockQ5_0& x) {
    // q - 16 as a signed byte: the nibble when the fifth bit is set, else the nibble | 0xF0.
    const __m256i minus16 = _mm256_andnot_si256(expand_bits(x.qh), _mm256_set1_epi8(static_cast<char>(0xF0)));
    return _mm256_or_si256(unpack_nibbles(x.qs), minus16);
  }
};
}  // namespace

NT_TARGET_AVX2 float vec_dot_q5_0_avx2(int64_t n, const uint8_t* w, const uint8_t* act) {
  const BlockQ8_0* y = reinterpret_cast<const BlockQ8_0*>(act);
  __m256 acc = _mm256_setzero_ps();
  for (int64_t b = 0; b < n / kBlock32; ++b) {
    const BlockQ5_0& x = blocks(w)[b];
    const __m256 d = _mm256_set1_ps(f16_to_f32(x.d) * f16_to_f32(y[b].d));
    const __m256i qx = Q5_0Format::weights(x);
    const __m256i qy = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(y[b].qs));
    acc = _mm256_fmadd_ps(d, _mm256_cvtepi32_ps(dot_i8_lanes(qx, qy)), acc);
  }
  return hsum_lanes(acc);
}

NT_TARGET_AVX2 void vec_dot_q5_0_tokens_avx2(const DotTokens& args) {
  run_tokens<Block32Tokens<Q5_0Format>>(args);
}
NT_TARGET_AVX2 void vec_dot_q5_0_rows_avx2(const DotRows& args) {
  run_rows<Block32Tokens<Q5_0Format>>(args);
}
NT_TARGET_AVX512 void vec_dot_q5_0_tokens_avx512(const DotTokens& args) {
  run_tokens<Block32Tokens512<Q5_0Format>>(args);
}
#endif

}  // namespace nt::cpu::quant
