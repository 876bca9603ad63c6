// Q2_K (ggml block_q2_K, 84 bytes): 16 scale bytes (low nibble scale, high nibble min, one per 16
// elements), 64 bytes of 2-bit quants, f16 d, f16 dmin. Element e is bits 2 * ((e % 128) / 32)
// of qs[32 * (e / 128) + e % 32]; weight = (d * scale) * q - dmin * min, as cpu/quant/q2_k.cc.
#pragma once

#include "cuda/quant/block_bytes.cuh"

namespace nt::cuda::quant {

struct Q2_K {
  static constexpr int kBlockElements = 256;
  static constexpr int kBlockBytes = 84;
  __device__ static void dequantize8(const uint8_t* block, int part, float out[8]) {
    const float d = f16_at(block + 80);
    const float dmin = f16_at(block + 82);
    const uint32_t packed = block[part >> 1];  // one scale byte per 16 elements
    const float scale = __fmul_rn(d, small_int_to_float(packed & 0xF));
    const float min = __fmul_rn(dmin, small_int_to_float(packed >> 4));
    const int half = part >> 4, shift = 2 * ((part >> 2) & 3);
    const uint2 qs = load8<4>(block + 16 + 32 * half + 8 * (part & 3));  // 84-byte blocks: 4-aligned
#pragma unroll
    for (int i = 0; i < 8; ++i) {
      out[i] = __fsub_rn(__fmul_rn(scale, small_int_to_float((byte_at(qs, i) >> shift) & 3)), min);
    }
  }
};

}  // namespace nt::cuda::quant
