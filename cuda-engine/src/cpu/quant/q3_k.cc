// Q3_K weights (quant/blocks.h) dotted against Q8_K activations.
#include <cstring>

#include "cpu/quant/avx2.h"
#include "cpu/quant/quants.h"
#include "quant/half.h"

namespace nt::cpu::quant {

namespace {
const BlockQ3_K* blocks(const uint8_t* p) { return reinterpret_cast<const BlockQ3_K*>(p); }
}  // namespace

// ggml's generic ggml_vec_dot_q3_K_q8_K keeps 8 integer lanes (lane = element index mod 8) and
// 8 float accumulators across blocks, added up at the end.
float vec_dot_q3_k(int64_t n, const uint8_t* w, const uint8_t* act) {
  const BlockQ8_K* y = reinterpret_cast<const BlockQ8_K*>(act);
  float lanes[8] = {};
  for (int64_t b = 0; b < n / kBlockK; ++b) {
    const BlockQ3_K& x = blocks(w)[b];
    int scales[16];
    unpack_q3_k_scales(x.scales, scales);
    int32_t lane_sums[8] = {};
    for (int e = 0; e < kBlockK; ++e) lane_sums[e % 8] += scales[e / 16] * (y[b].qs[e] * quant_at(x, e));
    const float d = fp16_to_fp32(x.d) * y[b].d;
    for (int l = 0; l < 8; ++l) lanes[l] += d * lane_sums[l];
  }
  float sum = 0.0f;
  for (int l = 0; l < 8; ++l) sum += lanes[l];
  return sum;
}

#if NT_X86
NT_TARGET_AVX2 float vec_dot_q3_k_avx2(int64_t n, const uint8_t* w, const uint8_t* act) {
  const BlockQ8_K* y = reinterpret_cast<const BlockQ8_K*>(act);
  __m256 acc = _mm256_setzero_ps();
  for (int64_t b = 0; b < n / kBlockK; ++b) {
    const BlockQ3_K& x = blocks(w)[b];
    int scales[16];
    unpack_q3_k_scales(x.scales, scales);
    const __m256i hmask = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(x.hmask));
    __m256i sumi = _mm256_setzero_si256();
    for (int half = 0; half < 2; ++half) {
      const __m256i bits = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(x.qs + 32 * half));
      for (int j = 0; j < 4; ++j) {
        const int g = 8 * half + 2 * j;  // the 32 elements of (half, j) are groups g and g + 1
        const __m256i low = _mm256_and_si256(_mm256_srli_epi16(bits, 2 * j), _mm256_set1_epi8(3));
        const __m256i bit = _mm256_set1_epi8(static_cast<char>(1 << (4 * half + j)));
        const __m256i high_clear = _mm256_cmpeq_epi8(_mm256_and_si256(hmask, bit), _mm256_setzero_si256());
        const __m256i q = _mm256_sub_epi8(low, _mm256_and_si256(high_clear, _mm256_set1_epi8(4)));
        const __m256i q8 = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(y[b].qs + 16 * g));
        const __m256i pairs = _mm256_maddubs_epi16(_mm256_sign_epi8(q, q), _mm256_sign_epi8(q8, q));
        sumi = _mm256_add_epi32(sumi, _mm256_madd_epi16(two_scales(scales[g], scales[g + 1]), pairs));
      }
    }
    const float d = y[b].d * f16_to_f32(x.d);
    acc = _mm256_fmadd_ps(_mm256_set1_ps(d), _mm256_cvtepi32_ps(sumi), acc);
  }
  return hsum_lanes(acc);
}

namespace {

// A block's 16 scales (unpack_q3_k_scales's, -32..31) as int16 lanes, scale g in lane g: whole
// 32-bit words, four scales each, instead of a loop over bytes.
NT_TARGET_AVX2 __m256i q3k_scales16(const uint8_t packed[12]) {
  uint32_t a, b, c;
  std::memcpy(&a, packed, 4);
  std::memcpy(&b, packed + 4, 4);
  std::memcpy(&c, packed + 8, 4);
  const uint32_t four = 0x0F0F0F0F, two = 0x03030303;
  const uint32_t s0 = (a & four) | ((c & two) << 4);                  // scales 0-3
  const uint32_t s1 = (b & four) | (((c >> 2) & two) << 4);           // 4-7
  const uint32_t s2 = ((a >> 4) & four) | (((c >> 4) & two) << 4);    // 8-11
  const uint32_t s3 = ((b >> 4) & four) | (((c >> 6) & two) << 4);    // 12-15
  const __m128i bytes = _mm_setr_epi32(static_cast<int>(s0), static_cast<int>(s1), static_cast<int>(s2),
                                       static_cast<int>(s3));
  return _mm256_sub_epi16(_mm256_cvtepu8_epi16(bytes), _mm256_set1_epi16(32));
}

// vec_dot_q3_k_avx2 for R rows by T tokens (avx2.h, DotTile): each row's scales (in SIMD, the same
// integers) and 3-bit weights are unpacked once per block and each token's activations loaded once,
// then every (row, token)'s lanes are summed and accumulated exactly as vec_dot_q3_k_avx2 does.
struct Q3kTile {
  template <int R, int T>
  NT_TARGET_AVX2 static void run(const DotTile& a) {
    const BlockQ3_K* x[R];
    const BlockQ8_K* y[T];
    tile_blocks(a, x, y);
    __m256 acc[R][T];
    zero_tile(acc);
    for (int64_t b = 0; b < a.n / kBlockK; ++b) {
      __m256i scales16[R], hmask[R];
      for (int r = 0; r < R; ++r) {
        scales16[r] = q3k_scales16(x[r][b].scales);
        hmask[r] = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(x[r][b].hmask));
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
          const __m256i bit = _mm256_set1_epi8(static_cast<char>(1 << (4 * half + j)));
          __m256i q[R], magnitude[R], pair_scales[R];
          for (int r = 0; r < R; ++r) {
            const __m256i low = _mm256_and_si256(_mm256_srli_epi16(bits[r], 2 * j), _mm256_set1_epi8(3));
            const __m256i high_clear = _mm256_cmpeq_epi8(_mm256_and_si256(hmask[r], bit), _mm256_setzero_si256());
            q[r] = _mm256_sub_epi8(low, _mm256_and_si256(high_clear, _mm256_set1_epi8(4)));
            magnitude[r] = _mm256_sign_epi8(q[r], q[r]);
            pair_scales[r] = pair_lanes16(half_scales[r], 2 * j, 2 * j + 1);  // scales g and g + 1
          }
          for (int t = 0; t < T; ++t) {
            const __m256i q8 = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(y[t][b].qs + 16 * g));
            for (int r = 0; r < R; ++r) {
              const __m256i pairs = _mm256_maddubs_epi16(magnitude[r], _mm256_sign_epi8(q8, q[r]));
              sumi[r][t] = _mm256_add_epi32(sumi[r][t], _mm256_madd_epi16(pair_scales[r], pairs));
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

NT_TARGET_AVX2 void vec_dot_q3_k_tokens_avx2(const DotTokens& args) { run_tokens<Q3kTile>(args); }
NT_TARGET_AVX2 void vec_dot_q3_k_rows_avx2(const DotRows& args) { run_rows<Q3kTile>(args); }
#endif

}  // namespace nt::cpu::quant
