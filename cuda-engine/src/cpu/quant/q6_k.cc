// Q6_K weights (quant/blocks.h) dotted against Q8_K activations.
#include "cpu/quant/avx2.h"
#include "cpu/quant/quants.h"
#include "quant/half.h"

namespace nt::cpu::quant {

namespace {
const BlockQ6_K* blocks(const uint8_t* p) { return reinterpret_cast<const BlockQ6_K*>(p); }
}  // namespace

// ggml's generic ggml_vec_dot_q6_K_q8_K: 8 integer lanes (lane = element index mod 8) and 8
// float accumulators across blocks, added up at the end.
float vec_dot_q6_k(int64_t n, const uint8_t* w, const uint8_t* act) {
  const BlockQ8_K* y = reinterpret_cast<const BlockQ8_K*>(act);
  float lanes[8] = {};
  for (int64_t b = 0; b < n / kBlockK; ++b) {
    const BlockQ6_K& x = blocks(w)[b];
    int32_t lane_sums[8] = {};
    for (int e = 0; e < kBlockK; ++e) lane_sums[e % 8] += x.scales[e / 16] * (y[b].qs[e] * quant_at(x, e));
    const float d = fp16_to_fp32(x.d) * y[b].d;
    for (int l = 0; l < 8; ++l) lanes[l] += d * lane_sums[l];
  }
  float sum = 0.0f;
  for (int l = 0; l < 8; ++l) sum += lanes[l];
  return sum;
}

#if NT_X86
namespace {

// The 128 6-bit quants (0..63) of one half of a Q6_K block, 32 per vector: vector j is groups
// 8 * half + 2j and + 2j + 1, as the one-token kernel's step j.
NT_TARGET_AVX2 inline void q6k_half(const BlockQ6_K& x, int half, __m256i q[4]) {
  const __m256i low4 = _mm256_set1_epi8(0xF);
  const __m256i low2 = _mm256_set1_epi8(3);
  const __m256i ql0 = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(x.ql + 64 * half));
  const __m256i ql1 = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(x.ql + 64 * half + 32));
  const __m256i qh = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(x.qh + 32 * half));
  const __m256i lows[4] = {_mm256_and_si256(ql0, low4), _mm256_and_si256(ql1, low4),
                           _mm256_and_si256(_mm256_srli_epi16(ql0, 4), low4),
                           _mm256_and_si256(_mm256_srli_epi16(ql1, 4), low4)};
  for (int j = 0; j < 4; ++j) {
    const __m256i high = _mm256_and_si256(_mm256_srli_epi16(qh, 2 * j), low2);
    q[j] = _mm256_or_si256(lows[j], _mm256_slli_epi16(high, 4));
  }
}

// What the block's offset of 32 takes off each lane: 32 * (scale[2k] * bsums[2k] +
// scale[2k + 1] * bsums[2k + 1]) (see vec_dot_q6_k_avx2).
NT_TARGET_AVX2 inline __m256i q6k_offset_terms(const int16_t bsums[16], __m256i scales16) {
  const __m256i sums = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(bsums));
  return _mm256_slli_epi32(_mm256_madd_epi16(sums, scales16), 5);
}

NT_TARGET_AVX2 inline __m256i q6k_scales16(const BlockQ6_K& x) {
  return _mm256_cvtepi8_epi16(_mm_loadu_si128(reinterpret_cast<const __m128i*>(x.scales)));
}

}  // namespace

// ggml's AVX2 kernel. It dots the unsigned q (0..63) and takes the offset 32 off through the
// activation's group sums: lane k loses 32 * (scale[2k] * bsums[2k] + scale[2k + 1] *
// bsums[2k + 1]). The block total is the same integer as the generic code's, but spread over
// the 8 lanes differently, which changes the float rounding; this keeps ggml's spread.
NT_TARGET_AVX2 float vec_dot_q6_k_avx2(int64_t n, const uint8_t* w, const uint8_t* act) {
  const BlockQ8_K* y = reinterpret_cast<const BlockQ8_K*>(act);
  __m256 acc = _mm256_setzero_ps();
  for (int64_t b = 0; b < n / kBlockK; ++b) {
    const BlockQ6_K& x = blocks(w)[b];
    const __m256i offset_terms = q6k_offset_terms(y[b].bsums, q6k_scales16(x));

    __m256i sumi = _mm256_setzero_si256();
    for (int half = 0; half < 2; ++half) {
      __m256i quants[4];  // 0..63
      q6k_half(x, half, quants);
      for (int j = 0; j < 4; ++j) {
        const int g = 8 * half + 2 * j;  // the 32 elements of (half, j) are groups g and g + 1
        const __m256i q8 = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(y[b].qs + 16 * g));
        const __m256i pairs = _mm256_maddubs_epi16(quants[j], q8);  // <= 2 * 63 * 127: no saturation
        sumi = _mm256_add_epi32(sumi, _mm256_madd_epi16(two_scales(x.scales[g], x.scales[g + 1]), pairs));
      }
    }
    sumi = _mm256_sub_epi32(sumi, offset_terms);
    const float d = y[b].d * f16_to_f32(x.d);
    acc = _mm256_fmadd_ps(_mm256_set1_ps(d), _mm256_cvtepi32_ps(sumi), acc);
  }
  return hsum_lanes(acc);
}

namespace {

// vec_dot_q6_k_avx2 for R rows by T tokens (avx2.h, DotTile): each row's 6-bit quants and scale
// pairs are unpacked once per block and each token's activations loaded once, then every
// (row, token)'s lanes are summed and accumulated as there.
struct Q6kTile {
  template <int R, int T>
  NT_TARGET_AVX2 static void run(const DotTile& a) {
    const BlockQ6_K* x[R];
    const BlockQ8_K* y[T];
    tile_blocks(a, x, y);
    __m256 acc[R][T];
    zero_tile(acc);
    for (int64_t b = 0; b < a.n / kBlockK; ++b) {
      __m256i sumi[R][T];
      zero_tile(sumi);
      for (int half = 0; half < 2; ++half) {
        __m256i q[R][4];
        for (int r = 0; r < R; ++r) q6k_half(x[r][b], half, q[r]);
        for (int j = 0; j < 4; ++j) {
          const int g = 8 * half + 2 * j;  // the 32 elements of (half, j) are groups g and g + 1
          __m256i scale[R];
          for (int r = 0; r < R; ++r) scale[r] = two_scales(x[r][b].scales[g], x[r][b].scales[g + 1]);
          for (int t = 0; t < T; ++t) {
            const __m256i q8 = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(y[t][b].qs + 16 * g));
            for (int r = 0; r < R; ++r) {
              const __m256i pairs = _mm256_maddubs_epi16(q[r][j], q8);
              sumi[r][t] = _mm256_add_epi32(sumi[r][t], _mm256_madd_epi16(scale[r], pairs));
            }
          }
        }
      }
      for (int r = 0; r < R; ++r) {
        const __m256i scales16 = q6k_scales16(x[r][b]);
        const float xd = f16_to_f32(x[r][b].d);
        for (int t = 0; t < T; ++t) {
          const __m256i s = _mm256_sub_epi32(sumi[r][t], q6k_offset_terms(y[t][b].bsums, scales16));
          acc[r][t] = _mm256_fmadd_ps(_mm256_set1_ps(y[t][b].d * xd), _mm256_cvtepi32_ps(s), acc[r][t]);
        }
      }
    }
    store_tile(a, acc);
  }
};

// Q6kTile in 512-bit registers: two of the AVX2 code's 32-element steps (four groups of 16,
// consecutive in the activations) per instruction, with their four scales, and vpdpwssd for its
// madd and add. At the block's end the two halves are added, which gives the AVX2 kernel's 8
// integer lanes (lane k: elements 4k..4k+3 of every step), so its float operations follow.
struct Q6kTile512 {
  template <int R, int T>
  NT_TARGET_AVX512 static void run(const DotTile& a) {
    const BlockQ6_K* x[R];
    const BlockQ8_K* y[T];
    tile_blocks(a, x, y);
    __m256 acc[R][T];
    zero_tile(acc);
    for (int64_t b = 0; b < a.n / kBlockK; ++b) {
      __m512i scales16_wide[R];
      for (int r = 0; r < R; ++r) scales16_wide[r] = join_halves(q6k_scales16(x[r][b]), _mm256_setzero_si256());
      __m512i sumi[R][T];
      zero_tile(sumi);
      for (int half = 0; half < 2; ++half) {
        __m256i q[R][4];
        for (int r = 0; r < R; ++r) q6k_half(x[r][b], half, q[r]);
        for (int j = 0; j < 4; j += 2) {
          const int g = 8 * half + 2 * j;  // groups g..g+3: the AVX2 code's steps j and j + 1
          const __m512i groups = join_halves(two_scales(g, g + 1), two_scales(g + 2, g + 3));
          __m512i q2[R], scale[R];
          for (int r = 0; r < R; ++r) {
            q2[r] = join_halves(q[r][j], q[r][j + 1]);
            scale[r] = _mm512_permutexvar_epi16(groups, scales16_wide[r]);
          }
          for (int t = 0; t < T; ++t) {
            const __m512i q8 = _mm512_loadu_si512(y[t][b].qs + 16 * g);
            for (int r = 0; r < R; ++r) {
              sumi[r][t] = _mm512_dpwssd_epi32(sumi[r][t], _mm512_maddubs_epi16(q2[r], q8), scale[r]);
            }
          }
        }
      }
      for (int r = 0; r < R; ++r) {
        const __m256i scales16 = q6k_scales16(x[r][b]);
        const float xd = f16_to_f32(x[r][b].d);
        for (int t = 0; t < T; ++t) {
          const __m256i s = _mm256_sub_epi32(add_halves(sumi[r][t]), q6k_offset_terms(y[t][b].bsums, scales16));
          acc[r][t] = _mm256_fmadd_ps(_mm256_set1_ps(y[t][b].d * xd), _mm256_cvtepi32_ps(s), acc[r][t]);
        }
      }
    }
    store_tile(a, acc);
  }
};

}  // namespace

NT_TARGET_AVX2 void vec_dot_q6_k_tokens_avx2(const DotTokens& args) { run_tokens<Q6kTile>(args); }
NT_TARGET_AVX512 void vec_dot_q6_k_tokens_avx512(const DotTokens& args) { run_tokens<Q6kTile512>(args); }
NT_TARGET_AVX2 void vec_dot_q6_k_rows_avx2(const DotRows& args) { run_rows<Q6kTile>(args); }
NT_TARGET_AVX512 void vec_dot_q6_k_rows_avx512(const DotRows& args) { run_rows<Q6kTile512>(args); }
#endif

}  // namespace nt::cpu::quant
