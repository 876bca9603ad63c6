// Q2_K weights (quant/blocks.h) dotted against Q8_K activations.
#include "cpu/quant/avx2.h"
#include "cpu/quant/quants.h"
#include "quant/half.h"

namespace nt::cpu::quant {

namespace {
const BlockQ2_K* blocks(const uint8_t* p) { return reinterpret_cast<const BlockQ2_K*>(p); }
}  // namespace

// ggml's generic ggml_vec_dot_q2_K_q8_K: integer sums per block, the min term from the
// activation's group sums.
float vec_dot_q2_k(int64_t n, const uint8_t* w, const uint8_t* act) {
  const BlockQ8_K* y = reinterpret_cast<const BlockQ8_K*>(act);
  float sum = 0.0f;
  for (int64_t b = 0; b < n / kBlockK; ++b) {
    const BlockQ2_K& x = blocks(w)[b];
    int min_sum = 0;
    int scaled_sum = 0;
    for (int g = 0; g < 16; ++g) {
      min_sum += y[b].bsums[g] * (x.scales[g] >> 4);
      int group = 0;
      for (int e = 16 * g; e < 16 * g + 16; ++e) group += y[b].qs[e] * quant_at(x, e);
      scaled_sum += (x.scales[g] & 0xF) * group;
    }
    const float d = y[b].d * fp16_to_fp32(x.d);
    const float dmin = y[b].d * fp16_to_fp32(x.dmin);
    sum += d * scaled_sum - dmin * min_sum;
  }
  return sum;
}

#if NT_X86
// ggml's AVX2 kernel: per block, the min term (8 lanes of pairs of groups) and then the scaled
// sums go into the same 8-lane accumulator.
NT_TARGET_AVX2 float vec_dot_q2_k_avx2(int64_t n, const uint8_t* w, const uint8_t* act) {
  const BlockQ8_K* y = reinterpret_cast<const BlockQ8_K*>(act);
  __m256 acc = _mm256_setzero_ps();
  for (int64_t b = 0; b < n / kBlockK; ++b) {
    const BlockQ2_K& x = blocks(w)[b];
    const float d = y[b].d * f16_to_f32(x.d);
    const float dmin = -y[b].d * f16_to_f32(x.dmin);

    const __m128i packed = _mm_loadu_si128(reinterpret_cast<const __m128i*>(x.scales));
    const __m256i mins = _mm256_cvtepu8_epi16(_mm_and_si128(_mm_srli_epi16(packed, 4), _mm_set1_epi8(0xF)));
    const __m256i bsums = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(y[b].bsums));
    acc = _mm256_fmadd_ps(_mm256_set1_ps(dmin), _mm256_cvtepi32_ps(_mm256_madd_epi16(mins, bsums)), acc);

    __m256i sumi = _mm256_setzero_si256();
    for (int half = 0; half < 2; ++half) {
      const __m256i bits = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(x.qs + 32 * half));
      for (int j = 0; j < 4; ++j) {
        const int g = 8 * half + 2 * j;  // the 32 elements of (half, j) are groups g and g + 1
        const __m256i q = _mm256_and_si256(_mm256_srli_epi16(bits, 2 * j), _mm256_set1_epi8(3));
        const __m256i q8 = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(y[b].qs + 16 * g));
        const __m256i pairs = _mm256_maddubs_epi16(q, q8);
        sumi = _mm256_add_epi32(sumi, _mm256_madd_epi16(two_scales(x.scales[g] & 0xF, x.scales[g + 1] & 0xF), pairs));
      }
    }
    acc = _mm256_fmadd_ps(_mm256_set1_ps(d), _mm256_cvtepi32_ps(sumi), acc);
  }
  return hsum_lanes(acc);
}

namespace {

// vec_dot_q2_k_avx2 for R rows by T tokens (avx2.h, DotTile): each row's 2-bit weights, mins and
// scales (in SIMD, the same integers) are unpacked once per block and each token's activations
// loaded once, then every (row, token)'s lanes are summed and accumulated exactly as
// vec_dot_q2_k_avx2 does (the min term first, then the scaled sums, into one accumulator).
struct Q2kTile {
  template <int R, int T>
  NT_TARGET_AVX2 static void run(const DotTile& a) {
    const BlockQ2_K* x[R];
    const BlockQ8_K* y[T];
    tile_blocks(a, x, y);
    __m256 acc[R][T];
    zero_tile(acc);
    for (int64_t b = 0; b < a.n / kBlockK; ++b) {
      __m256i mins[R], scales16[R];
      for (int r = 0; r < R; ++r) {
        const __m128i packed = _mm_loadu_si128(reinterpret_cast<const __m128i*>(x[r][b].scales));
        mins[r] = _mm256_cvtepu8_epi16(_mm_and_si128(_mm_srli_epi16(packed, 4), _mm_set1_epi8(0xF)));
        scales16[r] = _mm256_cvtepu8_epi16(_mm_and_si128(packed, _mm_set1_epi8(0xF)));
      }
      for (int t = 0; t < T; ++t) {
        const __m256i bsums = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(y[t][b].bsums));
        for (int r = 0; r < R; ++r) {
          const float dmin = -y[t][b].d * f16_to_f32(x[r][b].dmin);
          acc[r][t] = _mm256_fmadd_ps(_mm256_set1_ps(dmin), _mm256_cvtepi32_ps(_mm256_madd_epi16(mins[r], bsums)),
                                      acc[r][t]);
        }
      }
      __m256i sumi[R][T];
      zero_tile(sumi);
      for (int half = 0; half < 2; ++half) {
        __m256i bits[R], half_scales[R];
        for (int r = 0; r < R; ++r) {
          bits[r] = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(x[r][b].qs + 32 * half));
          half_scales[r] = half_twice(scales16[r], half);
        }
        for (int j = 0; j < 4; ++j) {
          const int g = 8 * half + 2 * j;
          __m256i q[R], scales[R];
          for (int r = 0; r < R; ++r) {
            q[r] = _mm256_and_si256(_mm256_srli_epi16(bits[r], 2 * j), _mm256_set1_epi8(3));
            scales[r] = pair_lanes16(half_scales[r], 2 * j, 2 * j + 1);  // groups g and g + 1
          }
          for (int t = 0; t < T; ++t) {
            const __m256i q8 = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(y[t][b].qs + 16 * g));
            for (int r = 0; r < R; ++r) {
              sumi[r][t] = _mm256_add_epi32(sumi[r][t], _mm256_madd_epi16(scales[r], _mm256_maddubs_epi16(q[r], q8)));
            }
          }
        }
      }
      add_block_sums(x, y, b, sumi, acc);
    }
    store_tile(a, acc);
  }
};

}  // namespace

NT_TARGET_AVX2 void vec_dot_q2_k_tokens_avx2(const DotTokens& args) { run_tokens<Q2kTile>(args); }
NT_TARGET_AVX2 void vec_dot_q2_k_rows_avx2(const DotRows& args) { run_rows<Q2kTile>(args); }
#endif

}  // namespace nt::cpu::quant
