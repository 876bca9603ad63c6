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
#endif

}  // namespace nt::cpu::quant
