// Q4_K weights (quant/blocks.h) dotted against Q8_K activations.
#include "cpu/quant/avx2.h"
#include "cpu/quant/k4_scalar.h"
#include "cpu/quant/quants.h"
#include "quant/half.h"

namespace nt::cpu::quant {

namespace {
const BlockQ4_K* blocks(const uint8_t* p) { return reinterpret_cast<const BlockQ4_K*>(p); }
}  // namespace

float vec_dot_q4_k(int64_t n, const uint8_t* w, const uint8_t* act) {
  return vec_dot_k4<BlockQ4_K, quant_at>(n, w, act);
}

#if NT_X86
// ggml's AVX2 kernel: scaled sums in 8 lanes, min terms in a separate 4-lane accumulator (lane
// k = sub-blocks 2k and 2k + 1), both reduced at the end.
NT_TARGET_AVX2 float vec_dot_q4_k_avx2(int64_t n, const uint8_t* w, const uint8_t* act) {
  const BlockQ8_K* y = reinterpret_cast<const BlockQ8_K*>(act);
  __m256 acc = _mm256_setzero_ps();
  __m128 acc_min = _mm_setzero_ps();
  for (int64_t b = 0; b < n / kBlockK; ++b) {
    const BlockQ4_K& x = blocks(w)[b];
    const float d = y[b].d * f16_to_f32(x.d);
    const float dmin = -y[b].d * f16_to_f32(x.dmin);
    uint8_t scales[8], mins[8];
    unpack_k4_scales(x.scales, scales, mins);

    const __m128i bsums_lo = _mm_loadu_si128(reinterpret_cast<const __m128i*>(y[b].bsums));
    const __m128i bsums_hi = _mm_loadu_si128(reinterpret_cast<const __m128i*>(y[b].bsums + 8));
    const __m128i sub_block_sums = _mm_hadd_epi16(bsums_lo, bsums_hi);  // 8 sums of 32
    const __m128i mins16 = _mm_cvtepu8_epi16(_mm_loadl_epi64(reinterpret_cast<const __m128i*>(mins)));
    const __m128i min_terms = _mm_madd_epi16(mins16, sub_block_sums);
    acc_min = _mm_fmadd_ps(_mm_set1_ps(dmin), _mm_cvtepi32_ps(min_terms), acc_min);

    __m256i sumi = _mm256_setzero_si256();
    for (int j = 0; j < 4; ++j) {
      const __m256i bits = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(x.qs + 32 * j));
      const __m256i low = _mm256_and_si256(bits, _mm256_set1_epi8(0xF));
      const __m256i high = _mm256_and_si256(_mm256_srli_epi16(bits, 4), _mm256_set1_epi8(0xF));
      const __m256i q8_low = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(y[b].qs + 64 * j));
      const __m256i q8_high = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(y[b].qs + 64 * j + 32));
      const __m256i p_low = _mm256_madd_epi16(_mm256_set1_epi16(scales[2 * j]), _mm256_maddubs_epi16(low, q8_low));
      const __m256i p_high = _mm256_madd_epi16(_mm256_set1_epi16(scales[2 * j + 1]), _mm256_maddubs_epi16(high, q8_high));
      sumi = _mm256_add_epi32(sumi, _mm256_add_epi32(p_low, p_high));
    }
    acc = _mm256_fmadd_ps(_mm256_set1_ps(d), _mm256_cvtepi32_ps(sumi), acc);
  }
  acc_min = _mm_add_ps(acc_min, _mm_movehl_ps(acc_min, acc_min));
  acc_min = _mm_add_ss(acc_min, _mm_movehdup_ps(acc_min));
  return hsum_lanes(acc) + _mm_cvtss_f32(acc_min);
}

namespace {

// vec_dot_q4_k_avx2 for T tokens at once: the nibbles and scales of a block are unpacked once,
// then each token's lanes are summed and accumulated exactly as vec_dot_q4_k_avx2 does.
struct Q4kTokens {
  template <int T>
  NT_TARGET_AVX2 static void run(const DotTokens& a) {
    const BlockQ8_K* y[T];
    for (int t = 0; t < T; ++t) y[t] = reinterpret_cast<const BlockQ8_K*>(a.act + t * a.act_stride);
    __m256 acc[T];
    __m128 acc_min[T];
    for (int t = 0; t < T; ++t) {
      acc[t] = _mm256_setzero_ps();
      acc_min[t] = _mm_setzero_ps();
    }
    for (int64_t b = 0; b < a.n / kBlockK; ++b) {
      const BlockQ4_K& x = blocks(a.w)[b];
      const float xd = f16_to_f32(x.d), xdmin = f16_to_f32(x.dmin);
      const K4Scales unpacked = unpack_k4_scales_x86(x.scales);
      const __m128i mins16 = unpacked.mins;
      const __m256i scales16 = _mm256_broadcastsi128_si256(unpacked.scales);
      __m256i sumi[T];
      for (int t = 0; t < T; ++t) sumi[t] = _mm256_setzero_si256();
      for (int j = 0; j < 4; ++j) {
        const __m256i bits = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(x.qs + 32 * j));
        const __m256i low = _mm256_and_si256(bits, _mm256_set1_epi8(0xF));
        const __m256i high = _mm256_and_si256(_mm256_srli_epi16(bits, 4), _mm256_set1_epi8(0xF));
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
        const __m128i bsums_lo = _mm_loadu_si128(reinterpret_cast<const __m128i*>(yb.bsums));
        const __m128i bsums_hi = _mm_loadu_si128(reinterpret_cast<const __m128i*>(yb.bsums + 8));
        const __m128i min_terms = _mm_madd_epi16(mins16, _mm_hadd_epi16(bsums_lo, bsums_hi));
        acc_min[t] = _mm_fmadd_ps(_mm_set1_ps(-yb.d * xdmin), _mm_cvtepi32_ps(min_terms), acc_min[t]);
        acc[t] = _mm256_fmadd_ps(_mm256_set1_ps(yb.d * xd), _mm256_cvtepi32_ps(sumi[t]), acc[t]);
      }
    }
    for (int t = 0; t < T; ++t) {
      __m128 m = _mm_add_ps(acc_min[t], _mm_movehl_ps(acc_min[t], acc_min[t]));
      m = _mm_add_ss(m, _mm_movehdup_ps(m));
      a.out[t * a.out_stride] = hsum_lanes(acc[t]) + _mm_cvtss_f32(m);
    }
  }
};

// Q4kTokens in 512-bit registers: a sub-block pair (64 elements) per instruction, the first
// sub-block in the low 256 bits with its scale beside it, and vpdpwssd adding the scaled pair
// sums (the madd and add of the AVX2 code in one). At the block's end the two halves are added:
// lane k of each holds elements 4k..4k+3 of its sub-blocks, as the AVX2 lanes do, so the 8
// integer lanes, and every float operation after them, are the AVX2 kernel's.
struct Q4kTokens512 {
  template <int T>
  NT_TARGET_AVX512 static void run(const DotTokens& a) {
    const BlockQ8_K* y[T];
    for (int t = 0; t < T; ++t) y[t] = reinterpret_cast<const BlockQ8_K*>(a.act + t * a.act_stride);
    __m256 acc[T];
    __m128 acc_min[T];
    for (int t = 0; t < T; ++t) {
      acc[t] = _mm256_setzero_ps();
      acc_min[t] = _mm_setzero_ps();
    }
    for (int64_t b = 0; b < a.n / kBlockK; ++b) {
      const BlockQ4_K& x = blocks(a.w)[b];
      const float xd = f16_to_f32(x.d), xdmin = f16_to_f32(x.dmin);
      const K4Scales unpacked = unpack_k4_scales_x86(x.scales);
      const __m256i scales_low = _mm256_set_m128i(_mm_setzero_si128(), unpacked.scales);
      const __m512i scales16 = join_halves(scales_low, _mm256_setzero_si256());
      __m512i sumi[T];
      for (int t = 0; t < T; ++t) sumi[t] = _mm512_setzero_si512();
      for (int j = 0; j < 4; ++j) {
        const __m256i bits = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(x.qs + 32 * j));
        const __m512i q = _mm512_and_si512(join_halves(bits, _mm256_srli_epi16(bits, 4)), _mm512_set1_epi8(0xF));
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
        const __m128i min_terms = _mm_madd_epi16(unpacked.mins, _mm_hadd_epi16(bsums_lo, bsums_hi));
        acc_min[t] = _mm_fmadd_ps(_mm_set1_ps(-yb.d * xdmin), _mm_cvtepi32_ps(min_terms), acc_min[t]);
        const __m256i s = add_halves(sumi[t]);
        acc[t] = _mm256_fmadd_ps(_mm256_set1_ps(yb.d * xd), _mm256_cvtepi32_ps(s), acc[t]);
      }
    }
    for (int t = 0; t < T; ++t) {
      __m128 m = _mm_add_ps(acc_min[t], _mm_movehl_ps(acc_min[t], acc_min[t]));
      m = _mm_add_ss(m, _mm_movehdup_ps(m));
      a.out[t * a.out_stride] = hsum_lanes(acc[t]) + _mm_cvtss_f32(m);
    }
  }
};

}  // namespace

NT_TARGET_AVX2 void vec_dot_q4_k_tokens_avx2(const DotTokens& args) { run_for_token_count<Q4kTokens>(args); }
NT_TARGET_AVX512 void vec_dot_q4_k_tokens_avx512(const DotTokens& args) { run_for_token_count<Q4kTokens512>(args); }
#endif

}  // namespace nt::cpu::quant
