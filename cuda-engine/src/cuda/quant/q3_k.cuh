// Q3_K (ggml block_q3_K, 110 bytes): 32 bytes hmask, 64 bytes of 2-bit quants, 12 bytes of
// packed 6-bit scales (offset 32), f16 d. Element e: low bits as Q2_K's, high bit e / 32 of
// hmask[e % 32] (clear means subtract 4); weight = (d * scale) * q, as cpu/quant/q3_k.cc.
#pragma once

#include "cuda/quant/block_bytes.cuh"

namespace nt::cuda::quant {

struct Q3_K {
  static constexpr int kBlockElements = 256;
  static constexpr int kBlockBytes = 110;

  // Scale g (0..15) plus 32 (the offset it is stored with): low 4 bits from the low (g < 8) or high (g >= 8)
  // nibble of byte g % 8, high 2 bits from bits 2 * (g / 4) of byte 8 + g % 4.
  __device__ static uint32_t scale_at(const uint8_t* packed, int g) {
    const int low = g < 8 ? packed[g] & 0xF : packed[g - 8] >> 4;
    const int high = (packed[8 + (g & 3)] >> (2 * (g >> 2))) & 3;
    return low | (high << 4);
  }

  __device__ static void dequantize8(const uint8_t* block, int part, float out[8]) {
    const float d = f16_at(block + 108);
    const float scale = __fmul_rn(d, small_int_to_float(scale_at(block + 96, part >> 1), 32));
    const int half = part >> 4, shift = 2 * ((part >> 2) & 3), l0 = 8 * (part & 3);
    const uint2 qs = load8<2>(block + 32 + 32 * half + l0);  // 110-byte blocks: 2-aligned
    const uint2 hmask = load8<2>(block + l0);
    const int high_bit = part >> 2;  // e / 32
#pragma unroll
    for (int i = 0; i < 8; ++i) {
      // q = low (high bit set) or low - 4: as unsigned low + 4 * high, minus 4.
      const uint32_t q = ((byte_at(qs, i) >> shift) & 3) | (((byte_at(hmask, i) >> high_bit) & 1) << 2);
      out[i] = __fmul_rn(scale, small_int_to_float(q, 4));
    }
  }
};

}  // namespace nt::cuda::quant
