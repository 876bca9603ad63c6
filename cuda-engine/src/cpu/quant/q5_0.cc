// Q5_0: 32 weights as 5-bit q in 0..31 with one f16 scale; weight = (q - 16) * d (block_q5_0).
// The low 4 bits are nibbles as in Q4_0; bit j of the 32-bit qh is element j's fifth bit.
// Dotted against Q8_0 activations.
#include <cstring>

#include "cpu/quant/avx2.h"
#include "cpu/quant/quants.h"
#include "quant/half.h"

namespace nt::cpu::quant {

namespace {
struct BlockQ5_0 {
  uint16_t d;
  uint8_t qh[4];
  uint8_t qs[kBlock32 / 2];
};
static_assert(sizeof(BlockQ5_0) == 22, "block_q5_0 is 22 bytes");

const BlockQ5_0* blocks(const uint8_t* p) { return reinterpret_cast<const BlockQ5_0*>(p); }

// Elements j and j + 16, each in -16..15.
inline void weights_at(const BlockQ5_0& block, int j, int& low, int& high) {
  uint32_t qh;
  std::memcpy(&qh, block.qh, sizeof qh);
  low = ((block.qs[j] & 0xF) | (((qh >> j) & 1) << 4)) - 16;
  high = ((block.qs[j] >> 4) | (((qh >> (j + 16)) & 1) << 4)) - 16;
}
}  // namespace

void dequantize_row_q5_0(const uint8_t* src, float* dst, int64_t n) {
  for (int64_t b = 0; b < n / kBlock32; ++b, dst += kBlock32) {
    const BlockQ5_0& block = blocks(src)[b];
    const float d = fp16_to_fp32(block.d);
    for (int j = 0; j < kBlock32 / 2; ++j) {
      int low, high;
      weights_at(block, j, low, high);
      dst[j] = low * d;
      dst[j + 16] = high * d;
    }
  }
}

float vec_dot_q5_0(int64_t n, const uint8_t* w, const uint8_t* act) {
  const BlockQ8_0* y = reinterpret_cast<const BlockQ8_0*>(act);
  float sum = 0.0f;
  for (int64_t b = 0; b < n / kBlock32; ++b) {
    const BlockQ5_0& x = blocks(w)[b];
    int sumi = 0;
    for (int j = 0; j < kBlock32 / 2; ++j) {
      int low, high;
      weights_at(x, j, low, high);
      sumi += low * y[b].qs[j] + high * y[b].qs[j + 16];
    }
    sum += (fp16_to_fp32(x.d) * fp16_to_fp32(y[b].d)) * sumi;
  }
  return sum;
}

#if NT_X86
NT_TARGET_AVX2 float vec_dot_q5_0_avx2(int64_t n, const uint8_t* w, const uint8_t* act) {
  const BlockQ8_0* y = reinterpret_cast<const BlockQ8_0*>(act);
  __m256 acc = _mm256_setzero_ps();
  for (int64_t b = 0; b < n / kBlock32; ++b) {
    const BlockQ5_0& x = blocks(w)[b];
    const __m256 d = _mm256_set1_ps(f16_to_f32(x.d) * f16_to_f32(y[b].d));
    // q - 16 as a signed byte: the nibble when the fifth bit is set, else the nibble | 0xF0.
    const __m256i minus16 = _mm256_andnot_si256(expand_bits(x.qh), _mm256_set1_epi8(static_cast<char>(0xF0)));
    const __m256i qx = _mm256_or_si256(unpack_nibbles(x.qs), minus16);
    const __m256i qy = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(y[b].qs));
    acc = _mm256_fmadd_ps(d, _mm256_cvtepi32_ps(dot_i8_lanes(qx, qy)), acc);
  }
  return hsum_lanes(acc);
}
#endif

}  // namespace nt::cpu::quant
