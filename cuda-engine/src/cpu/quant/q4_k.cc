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

    const __m128i mins16 = _mm_cvtepu8_epi16(_mm_loadl_epi64(reinterpret_cast<const __m128i*>(mins)));
    const __m128i min_terms = _mm_madd_epi16(mins16, sub_block_sums(y[b].bsums));
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
  return hsum_lanes(acc) + hsum_lanes4(acc_min);
}

namespace {

// vec_dot_q4_k_avx2 for R rows by T tokens (avx2.h, DotTile): each row's nibbles and scales are
// unpacked once per block and each token's activations loaded once, then every (row, token)'s
// lanes are summed and accumulated exactly as vec_dot_q4_k_avx2 does.
struct Q4kTile {
  template <int R, int T>
  NT_TARGET_AVX2 static void run(const DotTile& a) {
    const BlockQ4_K* x[R];
    const BlockQ8_K* y[T];
    tile_blocks(a, x, y);
    __m256 acc[R][T];
    __m128 acc_min[R][T];
    zero_tile(acc);
    zero_tile(acc_min);
    for (int64_t b = 0; b < a.n / kBlockK; ++b) {
      K4Header head[R];
      __m256i scales16[R];
      for (int r = 0; r < R; ++r) {
        head[r] = k4_header(x[r][b]);
        scales16[r] = _mm256_broadcastsi128_si256(head[r].scales.scales);
      }
      __m256i sumi[R][T];
      zero_tile(sumi);
      for (int j = 0; j < 4; ++j) {
        __m256i low[R], high[R], scale_low[R], scale_high[R];
        for (int r = 0; r < R; ++r) {
          const __m256i bits = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(x[r][b].qs + 32 * j));
          low[r] = _mm256_and_si256(bits, _mm256_set1_epi8(0xF));
          high[r] = _mm256_and_si256(_mm256_srli_epi16(bits, 4), _mm256_set1_epi8(0xF));
          scale_low[r] = broadcast_lane16(scales16[r], 2 * j);
          scale_high[r] = broadcast_lane16(scales16[r], 2 * j + 1);
        }
        for (int t = 0; t < T; ++t) {
          const __m256i q8_low = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(y[t][b].qs + 64 * j));
          const __m256i q8_high = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(y[t][b].qs + 64 * j + 32));
          for (int r = 0; r < R; ++r) {
            const __m256i p_low = _mm256_madd_epi16(scale_low[r], _mm256_maddubs_epi16(low[r], q8_low));
            const __m256i p_high = _mm256_madd_epi16(scale_high[r], _mm256_maddubs_epi16(high[r], q8_high));
            sumi[r][t] = _mm256_add_epi32(sumi[r][t], _mm256_add_epi32(p_low, p_high));
          }
        }
      }
      for (int t = 0; t < T; ++t) {
        const BlockQ8_K& yb = y[t][b];
        const __m128i sums = sub_block_sums(yb.bsums);
        for (int r = 0; r < R; ++r) {
          const __m128i min_terms = _mm_madd_epi16(head[r].scales.mins, sums);
          acc_min[r][t] = _mm_fmadd_ps(_mm_set1_ps(-yb.d * head[r].dmin), _mm_cvtepi32_ps(min_terms),
                                       acc_min[r][t]);
          acc[r][t] = _mm256_fmadd_ps(_mm256_set1_ps(yb.d * head[r].d), _mm256_cvtepi32_ps(sumi[r][t]),
                                      acc[r][t]);
        }
      }
    }
    for (int r = 0; r < R; ++r) {
      for (int t = 0; t < T; ++t) {
        a.out[r * a.out_row_stride + t * a.out_token_stride] = hsum_lanes(acc[r][t]) + hsum_lanes4(acc_min[r][t]);
      }
    }
  }
};

// Q4kTile in 512-bit registers: a sub-block pair (64 elements) per instruction, the first
// sub-block in the low 256 bits with its scale beside it, and vpdpwssd adding the scaled pair
// sums (the madd and add of the AVX2 code in one). At the block's end the two halves are added:
// lane k of each holds elements 4k..4k+3 of its sub-blocks, as the AVX2 lanes do, so the 8
// integer lanes, and every float operation after them, are the AVX2 kernel's.
struct Q4kTile512 {
  template <int R, int T>
  NT_TARGET_AVX512 static void run(const DotTile& a) {
    const BlockQ4_K* x[R];
    const BlockQ8_K* y[T];
    tile_blocks(a, x, y);
    __m256 acc[R][T];
    __m128 acc_min[R][T];
    zero_tile(acc);
    zero_tile(acc_min);
    for (int64_t b = 0; b < a.n / kBlockK; ++b) {
      K4Header head[R];
      __m512i scales16[R];
      for (int r = 0; r < R; ++r) {
        head[r] = k4_header(x[r][b]);
        scales16[r] = k4_scales512(head[r].scales.scales);
      }
      __m512i sumi[R][T];
      zero_tile(sumi);
      for (int j = 0; j < 4; ++j) {
        __m512i q[R], scale[R];
        for (int r = 0; r < R; ++r) {
          const __m256i bits = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(x[r][b].qs + 32 * j));
          q[r] = _mm512_and_si512(join_halves(bits, _mm256_srli_epi16(bits, 4)), _mm512_set1_epi8(0xF));
          scale[r] = k4_pair_scale512(scales16[r], j);
        }
        for (int t = 0; t < T; ++t) {
          const __m512i q8 = _mm512_loadu_si512(y[t][b].qs + 64 * j);
          for (int r = 0; r < R; ++r) {
            sumi[r][t] = _mm512_dpwssd_epi32(sumi[r][t], _mm512_maddubs_epi16(q[r], q8), scale[r]);
          }
        }
      }
      for (int t = 0; t < T; ++t) {
        const BlockQ8_K& yb = y[t][b];
        const __m128i sums = sub_block_sums(yb.bsums);
        for (int r = 0; r < R; ++r) {
          const __m128i min_terms = _mm_madd_epi16(head[r].scales.mins, sums);
          acc_min[r][t] = _mm_fmadd_ps(_mm_set1_ps(-yb.d * head[r].dmin), _mm_cvtepi32_ps(min_terms),
                                       acc_min[r][t]);
          acc[r][t] = _mm256_fmadd_ps(_mm256_set1_ps(yb.d * head[r].d),
                                      _mm256_cvtepi32_ps(add_halves(sumi[r][t])), acc[r][t]);
        }
      }
    }
    for (int r = 0; r < R; ++r) {
      for (int t = 0; t < T; ++t) {
        a.out[r * a.out_row_stride + t * a.out_token_stride] = hsum_lanes(acc[r][t]) + hsum_lanes4(acc_min[r][t]);
      }
    }
  }
};

}  // namespace

NT_TARGET_AVX2 void vec_dot_q4_k_tokens_avx2(const DotTokens& args) { run_tokens<Q4kTile>(args); }
NT_TARGET_AVX512 void vec_dot_q4_k_tokens_avx512(const DotTokens& args) { run_tokens<Q4kTile512>(args); }
NT_TARGET_AVX2 void vec_dot_q4_k_rows_avx2(const DotRows& args) { run_rows<Q4kTile>(args); }
NT_TARGET_AVX512 void vec_dot_q4_k_rows_avx512(const DotRows& args) { run_rows<Q4kTile512>(args); }
#endif

}  // namespace nt::cpu::quant
