// Q3_K: super-blocks of 256 weights in 16 groups of 16 (block_q3_K); weight = d * (scale - 32)
// * q, with q in -4..3 and a 6-bit scale per group. q's low 2 bits are packed like Q2_K's; its
// high bit for element e is bit (e / 32) of hmask[e % 32], and q = low - 4 where that bit is
// clear. The 16 scales are packed into 12 bytes: see unpack_scales. Dotted against Q8_K.
#include <cstring>

#include "cpu/quant/avx2.h"
#include "cpu/quant/quants.h"
#include "quant/half.h"

namespace nt::cpu::quant {

namespace {
struct BlockQ3_K {
  uint8_t hmask[kBlockK / 8];
  uint8_t qs[kBlockK / 4];
  uint8_t scales[12];
  uint16_t d;
};
static_assert(sizeof(BlockQ3_K) == 110, "block_q3_K is 110 bytes");

const BlockQ3_K* blocks(const uint8_t* p) { return reinterpret_cast<const BlockQ3_K*>(p); }

// Scale g (0..15), minus its offset 32: low 4 bits from the low (g < 8) or high (g >= 8) nibble
// of byte g % 8, high 2 bits from bits 2 * (g / 4) of byte 8 + g % 4.
void unpack_scales(const uint8_t packed[12], int scales[16]) {
  for (int g = 0; g < 16; ++g) {
    const int low = g < 8 ? packed[g] & 0xF : packed[g - 8] >> 4;
    const int high = (packed[8 + g % 4] >> (2 * (g / 4))) & 3;
    scales[g] = (low | (high << 4)) - 32;
  }
}

// Element e's q in -4..3.
inline int quant_at(const BlockQ3_K& block, int e) {
  const int half = e / 128, j = (e % 128) / 32, l = e % 32;
  const int low = (block.qs[32 * half + l] >> (2 * j)) & 3;
  const bool high = block.hmask[l] & (1 << (e / 32));
  return high ? low : low - 4;
}
}  // namespace

void dequantize_row_q3_k(const uint8_t* src, float* dst, int64_t n) {
  for (int64_t b = 0; b < n / kBlockK; ++b, dst += kBlockK) {
    const BlockQ3_K& block = blocks(src)[b];
    const float d = fp16_to_fp32(block.d);
    int scales[16];
    unpack_scales(block.scales, scales);
    for (int g = 0; g < 16; ++g) {
      const float scale = d * scales[g];
      for (int e = 16 * g; e < 16 * g + 16; ++e) dst[e] = scale * quant_at(block, e);
    }
  }
}

// ggml's generic ggml_vec_dot_q3_K_q8_K keeps 8 integer lanes (lane = element index mod 8) and
// 8 float accumulators across blocks, added up at the end.
float vec_dot_q3_k(int64_t n, const uint8_t* w, const uint8_t* act) {
  const BlockQ8_K* y = reinterpret_cast<const BlockQ8_K*>(act);
  float lanes[8] = {};
  for (int64_t b = 0; b < n / kBlockK; ++b) {
    const BlockQ3_K& x = blocks(w)[b];
    int scales[16];
    unpack_scales(x.scales, scales);
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
    unpack_scales(x.scales, scales);
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
