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

// The 64 quants of a Q5_K block's sub-block pair j, 0..31 each: its nibbles with the fifth bits
// (qh bit 2j for sub-block 2j, 2j + 1 for the other) as 16.
struct Q5kPair {
  __m256i low;   // sub-block 2j
  __m256i high;  // sub-block 2j + 1
};
NT_TARGET_AVX2 inline Q5kPair q5k_pair(const BlockQ5_K& x, __m256i qh, int j) {
  const __m256i bits = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(x.qs + 32 * j));
  const __m256i bit_low = _mm256_set1_epi8(static_cast<char>(1 << (2 * j)));
  const __m256i bit_high = _mm256_set1_epi8(static_cast<char>(1 << (2 * j + 1)));
  const __m256i sixteen = _mm256_set1_epi8(16);
  const __m256i fifth_low = _mm256_and_si256(_mm256_cmpeq_epi8(_mm256_and_si256(qh, bit_low), bit_low), sixteen);
  const __m256i fifth_high = _mm256_and_si256(_mm256_cmpeq_epi8(_mm256_and_si256(qh, bit_high), bit_high), sixteen);
  return {_mm256_or_si256(_mm256_and_si256(bits, _mm256_set1_epi8(0xF)), fifth_low),
          _mm256_or_si256(_mm256_and_si256(_mm256_srli_epi16(bits, 4), _mm256_set1_epi8(0xF)), fifth_high)};
}

// A block's min sum, sum over the 16 groups of bsums[g] * mins[g / 2]: pairs of groups summed
// (|.| <= 4064, no int16 overflow), times the mins, then the 4 int32 lanes. The same integer as
// the one-token kernel's scalar loop.
NT_TARGET_AVX2 inline int q5k_min_sum(__m128i mins16, __m128i sub_block_sums) {
  return hsum_int4(_mm_madd_epi16(mins16, sub_block_sums));
}

// vec_dot_q5_k_avx2 for R rows by T tokens (avx2.h, DotTile): each row's quants (with their
// fifth bits) and scales are unpacked once per block and each token's activations loaded once,
// then every (row, token)'s lanes are summed and accumulated as there.
struct Q5kTile {
  template <int R, int T>
  NT_TARGET_AVX2 static void run(const DotTile& a) {
    const BlockQ5_K* x[R];
    const BlockQ8_K* y[T];
    tile_blocks(a, x, y);
    __m256 acc[R][T];
    float min_total[R][T];
    zero_tile(acc);
    zero_tile(min_total);
    for (int64_t b = 0; b < a.n / kBlockK; ++b) {
      K4Header head[R];
      __m256i scales16[R], qh[R];
      for (int r = 0; r < R; ++r) {
        head[r] = k4_header(x[r][b]);
        scales16[r] = _mm256_broadcastsi128_si256(head[r].scales.scales);
        qh[r] = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(x[r][b].qh));
      }
      __m256i sumi[R][T];
      zero_tile(sumi);
      for (int j = 0; j < 4; ++j) {
        Q5kPair q[R];
        __m256i scale_low[R], scale_high[R];
        for (int r = 0; r < R; ++r) {
          q[r] = q5k_pair(x[r][b], qh[r], j);
          scale_low[r] = broadcast_lane16(scales16[r], 2 * j);
          scale_high[r] = broadcast_lane16(scales16[r], 2 * j + 1);
        }
        for (int t = 0; t < T; ++t) {
          const __m256i q8_low = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(y[t][b].qs + 64 * j));
          const __m256i q8_high = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(y[t][b].qs + 64 * j + 32));
          for (int r = 0; r < R; ++r) {
            const __m256i p_low = _mm256_madd_epi16(scale_low[r], _mm256_maddubs_epi16(q[r].low, q8_low));
            const __m256i p_high = _mm256_madd_epi16(scale_high[r], _mm256_maddubs_epi16(q[r].high, q8_high));
            sumi[r][t] = _mm256_add_epi32(sumi[r][t], _mm256_add_epi32(p_low, p_high));
          }
        }
      }
      for (int t = 0; t < T; ++t) {
        const BlockQ8_K& yb = y[t][b];
        const __m128i sums = sub_block_sums(yb.bsums);
        for (int r = 0; r < R; ++r) {
          const float min_sum = static_cast<float>(q5k_min_sum(head[r].scales.mins, sums));
          min_total[r][t] = std::fma(-yb.d * head[r].dmin, min_sum, min_total[r][t]);
          acc[r][t] = _mm256_fmadd_ps(_mm256_set1_ps(yb.d * head[r].d), _mm256_cvtepi32_ps(sumi[r][t]), acc[r][t]);
        }
      }
    }
    for (int r = 0; r < R; ++r) {
      for (int t = 0; t < T; ++t) {
        a.out[r * a.out_row_stride + t * a.out_token_stride] = hsum_lanes(acc[r][t]) + min_total[r][t];
      }
    }
  }
};

// Q5kTile in 512-bit registers, as Q4_K's (q4_k.cc, Q4kTile512): a sub-block pair per
// instruction with vpdpwssd, the halves added into the AVX2 kernel's 8 integer lanes at the
// block's end, so every float operation is Q5kTile's.
struct Q5kTile512 {
  template <int R, int T>
  NT_TARGET_AVX512 static void run(const DotTile& a) {
    const BlockQ5_K* x[R];
    const BlockQ8_K* y[T];
    tile_blocks(a, x, y);
    __m256 acc[R][T];
    float min_total[R][T];
    zero_tile(acc);
    zero_tile(min_total);
    for (int64_t b = 0; b < a.n / kBlockK; ++b) {
      K4Header head[R];
      __m512i scales16[R];
      __m256i qh[R];
      for (int r = 0; r < R; ++r) {
        head[r] = k4_header(x[r][b]);
        scales16[r] = k4_scales512(head[r].scales.scales);
        qh[r] = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(x[r][b].qh));
      }
      __m512i sumi[R][T];
      zero_tile(sumi);
      for (int j = 0; j < 4; ++j) {
        __m512i q[R], scale[R];
        for (int r = 0; r < R; ++r) {
          const Q5kPair pair = q5k_pair(x[r][b], qh[r], j);
          q[r] = join_halves(pair.low, pair.high);
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
          const float min_sum = static_cast<float>(q5k_min_sum(head[r].scales.mins, sums));
          min_total[r][t] = std::fma(-yb.d * head[r].dmin, min_sum, min_total[r][t]);
          acc[r][t] = _mm256_fmadd_ps(_mm256_set1_ps(yb.d * head[r].d), _mm256_cvtepi32_ps(add_halves(sumi[r][t])),
                                      acc[r][t]);
        }
      }
    }
    for (int r = 0; r < R; ++r) {
      for (int t = 0; t < T; ++t) {
        a.out[r * a.out_row_stride + t * a.out_token_stride] = hsum_lanes(acc[r][t]) + min_total[r][t];
      }
    }
  }
};

}  // namespace

NT_TARGET_AVX2 void vec_dot_q5_k_tokens_avx2(const DotTokens& args) { run_tokens<Q5kTile>(args); }
NT_TARGET_AVX512 void vec_dot_q5_k_tokens_avx512(const DotTokens& args) { run_tokens<Q5kTile512>(args); }
NT_TARGET_AVX2 void vec_dot_q5_k_rows_avx2(const DotRows& args) { run_rows<Q5kTile>(args); }
NT_TARGET_AVX512 void vec_dot_q5_k_rows_avx512(const DotRows& args) { run_rows<Q5kTile512>(args); }
#endif

}  // namespace nt::cpu::quant
