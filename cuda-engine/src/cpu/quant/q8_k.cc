// Q8_K (quant/blocks.h): only an activation format, the one all K-quant weights dot against. Its
// quantizers; ggml uses the same reference quantizer on every CPU.
#include <cmath>
#include <cstring>

#include "cpu/quant/avx2.h"
#include "cpu/quant/quants.h"

namespace nt::cpu::quant {

namespace {

// Round to nearest, ties to even, for |v| < 2^22: adding 1.5 * 2^23 leaves the integer in the
// low mantissa bits (ggml's nearest_int).
inline int nearest_int(float v) {
  const float shifted = v + 12582912.0f;
  int32_t bits;
  std::memcpy(&bits, &shifted, sizeof bits);
  return (bits & 0x007FFFFF) - 0x00400000;
}

void fill_group_sums(BlockQ8_K& block) {
  for (int g = 0; g < kBlockK / 16; ++g) {
    int sum = 0;
    for (int j = 0; j < 16; ++j) sum += block.qs[16 * g + j];
    block.bsums[g] = static_cast<int16_t>(sum);
  }
}

}  // namespace

// ggml's quantize_row_q8_K_ref. The scale is -127 / (the element of largest magnitude, sign
// included, first one on ties), so that element becomes -127 (ggml chose -127 over -128 so the
// IQ kernels' AVX code stays simple); d = 1 / scale is kept in f32.
void quantize_row_q8_k(const float* x, uint8_t* dst, int64_t n) {
  BlockQ8_K* out = reinterpret_cast<BlockQ8_K*>(dst);
  for (int64_t b = 0; b < n / kBlockK; ++b, x += kBlockK) {
    BlockQ8_K& block = out[b];
    float amax = 0.0f;
    float max = 0.0f;
    for (int j = 0; j < kBlockK; ++j) {
      const float ax = std::fabs(x[j]);
      if (ax > amax) {
        amax = ax;
        max = x[j];
      }
    }
    if (amax == 0.0f) {
      std::memset(&block, 0, sizeof block);
      continue;
    }
    const float iscale = -127.0f / max;
    for (int j = 0; j < kBlockK; ++j) {
      const int q = nearest_int(iscale * x[j]);
      block.qs[j] = static_cast<int8_t>(q < 127 ? q : 127);
    }
    fill_group_sums(block);
    block.d = 1.0f / iscale;
  }
}

#if NT_X86
// The same quantizer, vectorized; bit-identical because vroundps to nearest is the same
// round-half-even as nearest_int, and the scale comes from the same first largest element.
NT_TARGET_AVX2 void quantize_row_q8_k_avx2(const float* x, uint8_t* dst, int64_t n) {
  BlockQ8_K* out = reinterpret_cast<BlockQ8_K*>(dst);
  const __m256 sign = _mm256_set1_ps(-0.0f);
  for (int64_t b = 0; b < n / kBlockK; ++b, x += kBlockK) {
    BlockQ8_K& block = out[b];
    __m256 max_abs = _mm256_setzero_ps();
    for (int j = 0; j < kBlockK; j += 8) {
      max_abs = _mm256_max_ps(max_abs, _mm256_andnot_ps(sign, _mm256_loadu_ps(x + j)));
    }
    __m128 m = _mm_max_ps(_mm256_extractf128_ps(max_abs, 1), _mm256_castps256_ps128(max_abs));
    m = _mm_max_ps(m, _mm_movehl_ps(m, m));
    m = _mm_max_ss(m, _mm_movehdup_ps(m));
    const float amax = _mm_cvtss_f32(m);
    if (amax == 0.0f) {
      std::memset(&block, 0, sizeof block);
      continue;
    }
    int first = 0;  // (bounded: with a NaN in x, amax may match no element)
    while (first < kBlockK - 1 && std::fabs(x[first]) != amax) ++first;
    const float iscale = -127.0f / x[first];
    const __m256 scale = _mm256_set1_ps(iscale);
    for (int j = 0; j < kBlockK; j += 32) {
      __m256i n32[4];
      for (int i = 0; i < 4; ++i) {
        const __m256 scaled = _mm256_mul_ps(_mm256_loadu_ps(x + j + 8 * i), scale);
        n32[i] = _mm256_cvtps_epi32(_mm256_round_ps(scaled, _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC));
      }
      // Saturating packs clamp at 127 like ggml's MIN(127, q); 4-element groups come out in the
      // order 0 2 4 6 1 3 5 7 and are put back in order.
      const __m256i packed = _mm256_packs_epi16(_mm256_packs_epi32(n32[0], n32[1]),
                                                _mm256_packs_epi32(n32[2], n32[3]));
      const __m256i ordered = _mm256_permutevar8x32_epi32(packed, _mm256_setr_epi32(0, 4, 1, 5, 2, 6, 3, 7));
      _mm256_storeu_si256(reinterpret_cast<__m256i*>(block.qs + j), ordered);
    }
    fill_group_sums(block);
    block.d = 1.0f / iscale;
  }
}
#endif

}  // namespace nt::cpu::quant
