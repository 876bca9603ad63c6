// Q5_K weights (quant/blocks.h) dotted against Q8_K activations.
#include <cmath>
#include <cstring>

#include "cpu/quant/avx2.h"
#include "cpu/quant/k4_scalar.h"
#include "cpu/quant/quants.h"
#include "quant/half.h"

namespace nt::cpu::quant {

namespace {
const BlockQ5_K* blocks(const uint8_t* p) { return reinterpret_cast<const BlockQ5_K*>(p); }
}  // namespace

float vec_dot_q5_k(int64_t n, const uint8_t* w, const uint8_t* act) {
  return vec_dot_k4<BlockQ5_K, quant_at>(n, w, act);
}

#if NT_X86
// ggml's AVX2 kernel: like Q4_K's, except that the min term of each block is reduced to one
// integer at once and accumulated in a scalar float, with a fused multiply-add (GCC fuses
// ggml's `summs += dmin * sum`).
NT_TARGET_AVX2 float vec_dot_q5_k_avx2(int64_t n, const uint8_t* w, const uint8_t* act) {
  const BlockQ8_K* y = reinterpret_cast<const BlockQ8_K*>(act);
  __m256 acc = _mm256_setzero_ps();
  float min_total = 0.0f;
  for (int64_t b = 0; b < n / kBlockK; ++b) {
    const BlockQ5_K& x = blocks(w)[b];
    const float d = y[b].d * f16_to_f32(x.d);
    const float dmin = -y[b].d * f16_to_f32(x.dmin);
    uint8_t scales[8], mins[8];
    unpack_k4_scales(x.scales, scales, mins);
    int min_sum = 0;
    for (int g = 0; g < 16; ++g) min_sum += y[b].bsums[g] * mins[g / 2];
    min_total = std::fma(dmin, static_cast<float>(min_sum), min_total);

    const __m256i qh = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(x.qh));
    __m256i sumi = _mm256_setzero_si256();
    for (int j = 0; j < 4; ++j) {
      const __m256i bits = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(x.qs + 32 * j));
      const __m256i bit_low = _mm256_set1_epi8(static_cast<char>(1 << (2 * j)));
      const __m256i bit_high = _mm256_set1_epi8(static_cast<char>(1 << (2 * j + 1)));
      const __m256i sixteen = _mm256_set1_epi8(16);
      const __m256i fifth_low = _mm256_and_si256(_mm256_cmpeq_epi8(_mm256_and_si256(qh, bit_low), bit_low), sixteen);
      const __m256i fifth_high = _mm256_and_si256(_mm256_cmpeq_epi8(_mm256_and_si256(qh, bit_high), bit_high), sixteen);
      const __m256i low = _mm256_or_si256(_mm256_and_si256(bits, _mm256_set1_epi8(0xF)), fifth_low);
      const __m256i high = _mm256_or_si256(_mm256_and_si256(_mm256_srli_epi16(bits, 4), _mm256_set1_epi8(0xF)), fifth_high);
      const __m256i q8_low = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(y[b].qs + 64 * j));
      const __m256i q8_high = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(y[b].qs + 64 * j + 32));
      const __m256i p_low = _mm256_madd_epi16(_mm256_set1_epi16(scales[2 * j]), _mm256_maddubs_epi16(low, q8_low));
      const __m256i p_high = _mm256_madd_epi16(_mm256_set1_epi16(scales[2 * j + 1]), _mm256_maddubs_epi16(high, q8_high));
      sumi = _mm256_add_epi32(sumi, _mm256_add_epi32(p_low, p_high));
    }
    acc = _mm256_fmadd_ps(_mm256_set1_ps(d), _mm256_cvtepi32_ps(sumi), acc);
  }
  return hsum_lanes(acc) + min_total;
}

namespace {

// vec_dot_q5_k_avx2 for T tokens at once: the quants (with their fifth bits) and scales of a
// block are unpacked once, then each token's lanes are summed and accumulated as there. A
// token's min sum is the same integer, summed in SIMD (exact) instead of a scalar loop.
struct Q5kTokens {
  template <int T>
  NT_TARGET_AVX2 static void run(const DotTokens& a) {
    const BlockQ8_K* y[T];
    for (int t = 0; t < T; ++t) y[t] = reinterpret_cast<const BlockQ8_K*>(a.act + t * a.act_stride);
    __m256 acc[T];
    float min_total[T];
    for (int t = 0; t < T; ++t) {
      acc[t] = _mm256_setzero_ps();
      min_total[t] = 0.0f;
    }
    for (int64_t b = 0; b < a.n / kBlockK; ++b) {
      const BlockQ5_K& x = blocks(a.w)[b];
      const float xd = f16_to_f32(x.d), xdmin = f16_to_f32(x.dmin);
      const K4Scales unpacked = unpack_k4_scales_x86(x.scales);
      const __m128i mins16 = unpacked.mins;
      const __m256i scales16 = _mm256_broadcastsi128_si256(unpacked.scales);
      const __m256i qh = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(x.qh));
      __m256i sumi[T];
      for (int t = 0; t < T; ++t) sumi[t] = _mm256_setzero_si256();
      for (int j = 0; j < 4; ++j) {
        const __m256i bits = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(x.qs + 32 * j));
        const __m256i bit_low = _mm256_set1_epi8(static_cast<char>(1 << (2 * j)));
        const __m256i bit_high = _mm256_set1_epi8(static_cast<char>(1 << (2 * j + 1)));
        const __m256i sixteen = _mm256_set1_epi8(16);
        const __m256i fifth_low = _mm256_and_si256(_mm256_cmpeq_epi8(_mm256_and_si256(qh, bit_low), bit_low), sixteen);
        const __m256i fifth_high = _mm256_and_si256(_mm256_cmpeq_epi8(_mm256_and_si256(qh, bit_high), bit_high), sixteen);
        const __m256i low = _mm256_or_si256(_mm256_and_si256(bits, _mm256_set1_epi8(0xF)), fifth_low);
        const __m256i high = _mm256_or_si256(_mm256_and_si256(_mm256_srli_epi16(bits, 4), _mm256_set1_epi8(0xF)), fifth_high);
        const __m256i scale_low = broadcast_lane16(scales16, 2 * j);
        const __m256i scale_high = broadcast_lane16(scales16, 2 * j + 1);
        for (int t = 0; t < T; ++t) {
          const __m256i q8_low = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(y[t][b].qs + 64 * j));
          const __m256i q8_high = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(y[t][b].qs + 64 * j + 32));
          const __m256i p_low = _mm256_madd_epi16(scale_low, _mm256_maddubs_epi16(low, q8_low));
          const __m256i p_high = _mm256_madd_epi16(scale_high, _mm256_maddubs_epi16(high, q8_high));
          sumi[t] = _mm256_add_epi32(sumi[t], _mm256_add_epi32(p_low, p_high));
        }
      }
      for (int t = 0; t < T; ++t) {
        const BlockQ8_K& yb = y[t][b];
        // sum over the 16 groups of bsums[g] * mins[g / 2]: pairs of groups summed (|.| <= 4064,
        // no int16 overflow), times the mins, then the 4 int32 lanes.
        const __m128i bsums_lo = _mm_loadu_si128(reinterpret_cast<const __m128i*>(yb.bsums));
        const __m128i bsums_hi = _mm_loadu_si128(reinterpret_cast<const __m128i*>(yb.bsums + 8));
        __m128i terms = _mm_madd_epi16(mins16, _mm_hadd_epi16(bsums_lo, bsums_hi));
        terms = _mm_add_epi32(terms, _mm_shuffle_epi32(terms, 0x4E));
        terms = _mm_add_epi32(terms, _mm_shuffle_epi32(terms, 0xB1));
        const int min_sum = _mm_cvtsi128_si32(terms);
        min_total[t] = std::fma(-yb.d * xdmin, static_cast<float>(min_sum), min_total[t]);
        acc[t] = _mm256_fmadd_ps(_mm256_set1_ps(yb.d * xd), _mm256_cvtepi32_ps(sumi[t]), acc[t]);
      }
    }
    for (int t = 0; t < T; ++t) a.out[t * a.out_stride] = hsum_lanes(acc[t]) + min_total[t];
  }
};

// Q5kTokens in 512-bit registers, as Q4_K's (q4_k.cc, Q4kTokens512): a sub-block pair per
// instruction with vpdpwssd, the halves added into the AVX2 kernel's 8 integer lanes at the
// block's end, so every float operation is Q5kTokens's.
struct Q5kTokens512 {
  template <int T>
  NT_TARGET_AVX512 static void run(const DotTokens& a) {
    const BlockQ8_K* y[T];
    for (int t = 0; t < T; ++t) y[t] = reinterpret_cast<const BlockQ8_K*>(a.act + t * a.act_stride);
    __m256 acc[T];
    float min_total[T];
    for (int t = 0; t < T; ++t) {
      acc[t] = _mm256_setzero_ps();
      min_total[t] = 0.0f;
    }
    for (int64_t b = 0; b < a.n / kBlockK; ++b) {
      const BlockQ5_K& x = blocks(a.w)[b];
      const float xd = f16_to_f32(x.d), xdmin = f16_to_f32(x.dmin);
      const K4Scales unpacked = unpack_k4_scales_x86(x.scales);
      const __m256i scales_low = _mm256_set_m128i(_mm_setzero_si128(), unpacked.scales);
      const __m512i scales16 = join_halves(scales_low, _mm256_setzero_si256());
      const __m256i qh = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(x.qh));
      const __m256i sixteen = _mm256_set1_epi8(16);
      __m512i sumi[T];
      for (int t = 0; t < T; ++t) sumi[t] = _mm512_setzero_si512();
      for (int j = 0; j < 4; ++j) {
        const __m256i bits = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(x.qs + 32 * j));
        const __m256i bit_low = _mm256_set1_epi8(static_cast<char>(1 << (2 * j)));
        const __m256i bit_high = _mm256_set1_epi8(static_cast<char>(1 << (2 * j + 1)));
        const __m256i fifth_low = _mm256_and_si256(_mm256_cmpeq_epi8(_mm256_and_si256(qh, bit_low), bit_low), sixteen);
        const __m256i fifth_high = _mm256_and_si256(_mm256_cmpeq_epi8(_mm256_and_si256(qh, bit_high), bit_high), sixteen);
        const __m512i nibbles = _mm512_and_si512(join_halves(bits, _mm256_srli_epi16(bits, 4)), _mm512_set1_epi8(0xF));
        const __m512i q = _mm512_or_si512(nibbles, join_halves(fifth_low, fifth_high));
        const __m512i pair = join_halves(_mm256_set1_epi16(static_cast<int16_t>(2 * j)),
                                         _mm256_set1_epi16(static_cast<int16_t>(2 * j + 1)));
        const __m512i scale = _mm512_permutexvar_epi16(pair, scales16);
        for (int t = 0; t < T; ++t) {
          const __m512i q8 = _mm512_loadu_si512(y[t][b].qs + 64 * j);
          sumi[t] = _mm512_dpwssd_epi32(sumi[t], _mm512_maddubs_epi16(q, q8), scale);
        }
      }
      for (int t = 0; t < T; ++t) {
        const BlockQ8_K& yb = y[t][b];
        const __m128i bsums_lo = _mm_loadu_si128(reinterpret_cast<const __m128i*>(yb.bsums));
        const __m128i bsums_hi = _mm_loadu_si128(reinterpret_cast<const __m128i*>(yb.bsums + 8));
        __m128i terms = _mm_madd_epi16(unpacked.mins, _mm_hadd_epi16(bsums_lo, bsums_hi));
        terms = _mm_add_epi32(terms, _mm_shuffle_epi32(terms, 0x4E));
        terms = _mm_add_epi32(terms, _mm_shuffle_epi32(terms, 0xB1));
        min_total[t] = std::fma(-yb.d * xdmin, static_cast<float>(_mm_cvtsi128_si32(terms)), min_total[t]);
        acc[t] = _mm256_fmadd_ps(_mm256_set1_ps(yb.d * xd), _mm256_cvtepi32_ps(add_halves(sumi[t])), acc[t]);
      }
    }
    for (int t = 0; t < T; ++t) a.out[t * a.out_stride] = hsum_lanes(acc[t]) + min_total[t];
  }
};

}  // namespace

NT_TARGET_AVX2 void vec_dot_q5_k_tokens_avx2(const DotTokens& args) { run_for_token_count<Q5kTokens>(args); }
NT_TARGET_AVX512 void vec_dot_q5_k_tokens_avx512(const DotTokens& args) { run_for_token_count<Q5kTokens512>(args); }
#endif

}  // namespace nt::cpu::quant
