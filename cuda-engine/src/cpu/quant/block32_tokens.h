// The multi-token and multi-row kernels (quants.h, DotTokens and DotRows) of the 32-element formats
// Q4_0, Q4_1, Q5_0, Q5_1 and Q8_0, which differ only in how a block's 32 weights become bytes:
// each format's file gives a Format with
//   Block, Act      the weight block and the activation block it dots against (Q8_0 or Q8_1);
//   kSigned         the weights are signed bytes (Q4_0, Q5_0, Q8_0: dotted through the sign trick
//                   of avx2.h's dot_i8_lanes), or unsigned (Q4_1, Q5_1: their offset m is added
//                   through the activation's s, m * s per block, as a separate float sum);
//   weights(x)      the block's 32 weights as bytes in element order, as its vec_dot makes them.
// A block is decoded once for the tile's tokens; each (row, token)'s integer lanes, its scale
// f16(x.d) * f16(y.d), its fused multiply-add into 8 float lanes and the final reduction are the
// format's AVX2 vec_dot's, so every result is that vec_dot's, bit for bit. Block32Tokens serves
// R rows by T tokens (the multi-row kernels at both SIMD levels: at one token they are bound by
// the weights' streams, not by the arithmetic); Block32Tokens512, one row by T tokens.
#pragma once

#include <cmath>
#include <cstring>

#include "cpu/quant/avx2.h"
#include "cpu/quant/quants.h"

#if NT_X86

namespace nt::cpu::quant {

template <typename Format>
struct Block32Tokens {
  template <int R, int T>
  NT_TARGET_AVX2 static void run(const DotTile& a) {
    using Act = typename Format::Act;
    using Block = typename Format::Block;
    const Block* x[R];
    const Act* y[T];
    __m256 acc[R][T];
    float offsets[R][T];
    for (int r = 0; r < R; ++r) x[r] = reinterpret_cast<const Block*>(a.w + r * a.w_stride);
    for (int t = 0; t < T; ++t) y[t] = reinterpret_cast<const Act*>(a.act + t * a.act_stride);
    for (int r = 0; r < R; ++r) {
      for (int t = 0; t < T; ++t) {
        acc[r][t] = _mm256_setzero_ps();
        offsets[r][t] = 0.0f;
      }
    }
    for (int64_t b = 0; b < a.n / kBlock32; ++b) {
      for (int r = 0; r < R; ++r) {
        const Block& xb = x[r][b];
        const __m256i q = Format::weights(xb);
        const __m256i magnitude = Format::kSigned ? _mm256_sign_epi8(q, q) : q;
        const float xd = f16_to_f32(xb.d);
        for (int t = 0; t < T; ++t) {
          const Act& yb = y[t][b];
          __m256i qy = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(yb.qs));
          if constexpr (Format::kSigned) {
            qy = _mm256_sign_epi8(qy, q);
          } else {
            offsets[r][t] = std::fma(f16_to_f32(xb.m), f16_to_f32(yb.s), offsets[r][t]);
          }
          const __m256 d = _mm256_set1_ps(xd * f16_to_f32(yb.d));
          acc[r][t] = _mm256_fmadd_ps(d, _mm256_cvtepi32_ps(dot_u8_i8_lanes(magnitude, qy)), acc[r][t]);
        }
      }
    }
    for (int r = 0; r < R; ++r) {
      for (int t = 0; t < T; ++t) {
        float* out = a.out + r * a.out_row_stride + t * a.out_token_stride;
        // The signed formats' vec_dot returns the lanes' sum alone: adding a zero would turn -0 into +0.
        if constexpr (Format::kSigned) {
          *out = hsum_lanes(acc[r][t]);
        } else {
          *out = hsum_lanes(acc[r][t]) + offsets[r][t];
        }
      }
    }
  }
};

// Block32Tokens in 512-bit registers: two tokens per register, the first in the low 256 bits,
// against the block's bytes in both halves, so each half computes what the AVX2 code computes for
// its token. vpdpbusd sums four byte products into each int32 lane in one instruction: the same
// exact integers as maddubs and madd, which never saturate here (the unsigned bytes are at most
// 128, so a pair sum stays within -32768..32512). The sign trick's negation of a token's byte
// where the weight is negative is a masked subtraction from zero, which wraps -128 as
// _mm256_sign_epi8 does (and where the weight is 0 the product is 0 either way). An odd last
// token runs the same steps in 256 bits. (The zero-masked forms, with every lane kept, avoid the
// unmasked ones' undefined source that GCC 12 warns of: GCC bug 105593, as in avx2.h.)
template <typename Format>
struct Block32Tokens512 {
  // Two tokens' activation block heads as floats: lanes 0 and 2 their scales d, lanes 1 and 3
  // Q8_1's s (for Q8_0, zero: the signed formats need only d, which two 16-bit loads into one
  // register bring a little faster than two 32-bit ones).
  NT_TARGET_AVX512 static __m128 pair_heads(const typename Format::Act& y0, const typename Format::Act& y1) {
    if constexpr (Format::kSigned) {
      return _mm_cvtph_ps(_mm_cvtsi64_si128(static_cast<long long>(y0.d | static_cast<uint64_t>(y1.d) << 32)));
    } else {
      uint32_t h0, h1;
      std::memcpy(&h0, &y0, sizeof h0);
      std::memcpy(&h1, &y1, sizeof h1);
      return _mm_cvtph_ps(_mm_insert_epi32(_mm_cvtsi32_si128(static_cast<int>(h0)), static_cast<int>(h1), 1));
    }
  }

  // Eight lanes of xd * f16(y0.d), then eight of xd * f16(y1.d): each the float product the AVX2
  // code broadcasts.
  NT_TARGET_AVX512 static __m512 pair_scales(float xd, __m128 heads) {
    const __m128 scales = _mm_mul_ps(_mm_set1_ps(xd), heads);
    return _mm512_maskz_permutexvar_ps(0xFFFF, _mm512_setr_epi32(0, 0, 0, 0, 0, 0, 0, 0, 2, 2, 2, 2, 2, 2, 2, 2),
                                       _mm512_zextps128_ps512(scales));
  }

  template <int R, int T>
  NT_TARGET_AVX512 static void run(const DotTile& a) {
    static_assert(R == 1, "the multi-row kernels are Block32Tokens's (avx2.h, run_rows)");
    // One token (batch-1 decode) is bound by the latency of the one accumulator's multiply-adds,
    // not by the integer work: there the AVX2 code, vec_dot's own steps, measured a little faster.
    if constexpr (T == 1) {
      Block32Tokens<Format>::template run<1, 1>(a);
      return;
    }
    using Act = typename Format::Act;
    constexpr int kPairs = T / 2;
    const auto* x = reinterpret_cast<const typename Format::Block*>(a.w);
    const Act* y[T];
    __m512 acc2[kPairs > 0 ? kPairs : 1];
    __m128 offsets2[kPairs > 0 ? kPairs : 1];  // lanes 1 and 3: the pair's sums of m * s
    __m256 acc1 = _mm256_setzero_ps();
    float offset1 = 0.0f;
    for (int t = 0; t < T; ++t) y[t] = reinterpret_cast<const Act*>(a.act + t * a.act_stride);
    for (int p = 0; p < kPairs; ++p) {
      acc2[p] = _mm512_setzero_ps();
      offsets2[p] = _mm_setzero_ps();
    }
    for (int64_t b = 0; b < a.n / kBlock32; ++b) {
      const __m256i q = Format::weights(x[b]);
      const __m256i magnitude = Format::kSigned ? _mm256_abs_epi8(q) : q;
      const __m512i magnitude2 = join_halves(magnitude, magnitude);
      const __mmask32 negative = Format::kSigned ? _mm256_movepi8_mask(q) : 0;
      const __mmask64 negative2 = static_cast<__mmask64>(negative) | static_cast<__mmask64>(negative) << 32;
      const float xd = f16_to_f32(x[b].d);
      float m = 0.0f;
      if constexpr (!Format::kSigned) m = f16_to_f32(x[b].m);
      for (int p = 0; p < kPairs; ++p) {
        const Act& y0 = y[2 * p][b];
        const Act& y1 = y[2 * p + 1][b];
        __m512i qy = join_halves(_mm256_loadu_si256(reinterpret_cast<const __m256i*>(y0.qs)),
                                 _mm256_loadu_si256(reinterpret_cast<const __m256i*>(y1.qs)));
        if constexpr (Format::kSigned) qy = _mm512_mask_sub_epi8(qy, negative2, _mm512_setzero_si512(), qy);
        const __m512i lanes = _mm512_dpbusd_epi32(_mm512_setzero_si512(), magnitude2, qy);
        const __m128 heads = pair_heads(y0, y1);
        acc2[p] = _mm512_fmadd_ps(pair_scales(xd, heads), _mm512_maskz_cvtepi32_ps(0xFFFF, lanes), acc2[p]);
        // The AVX2 code's std::fma(m, f16(s), offset) per token, in lanes 1 and 3 (the others kept).
        if constexpr (!Format::kSigned) offsets2[p] = _mm_mask3_fmadd_ps(_mm_set1_ps(m), heads, offsets2[p], 0x0A);
      }
      if constexpr (T % 2 == 1) {
        const Act& yb = y[T - 1][b];
        __m256i qy = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(yb.qs));
        if constexpr (Format::kSigned) qy = _mm256_mask_sub_epi8(qy, negative, _mm256_setzero_si256(), qy);
        const __m256i lanes = _mm256_dpbusd_epi32(_mm256_setzero_si256(), magnitude, qy);
        acc1 = _mm256_fmadd_ps(_mm256_set1_ps(xd * f16_to_f32(yb.d)), _mm256_cvtepi32_ps(lanes), acc1);
        if constexpr (!Format::kSigned) offset1 = std::fma(m, f16_to_f32(yb.s), offset1);
      }
    }
    float sums[T], offsets[T];
    for (int p = 0; p < kPairs; ++p) {
      const __m512d both = _mm512_castps_pd(acc2[p]);
      sums[2 * p] = hsum_lanes(_mm256_castpd_ps(_mm512_maskz_extractf64x4_pd(0x0F, both, 0)));
      sums[2 * p + 1] = hsum_lanes(_mm256_castpd_ps(_mm512_maskz_extractf64x4_pd(0x0F, both, 1)));
      offsets[2 * p] = _mm_cvtss_f32(_mm_movehdup_ps(offsets2[p]));
      offsets[2 * p + 1] = _mm_cvtss_f32(_mm_permute_ps(offsets2[p], 3));
    }
    if constexpr (T % 2 == 1) {
      sums[T - 1] = hsum_lanes(acc1);
      offsets[T - 1] = offset1;
    }
    for (int t = 0; t < T; ++t) {
      // As Block32Tokens: no zero added to the signed formats' sums.
      if constexpr (Format::kSigned) {
        a.out[t * a.out_token_stride] = sums[t];
      } else {
        a.out[t * a.out_token_stride] = sums[t] + offsets[t];
      }
    }
  }
};

}  // namespace nt::cpu::quant

#endif  // NT_X86
