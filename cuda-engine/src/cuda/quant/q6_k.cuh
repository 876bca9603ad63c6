// Q6_K (ggml block_q6_K, 210 bytes): 128 bytes ql (low nibbles), 64 bytes qh (2 high bits), 16
// signed scales (one per 16 elements), f16 d. Element e (half = e / 128, j = (e % 128) / 32,
// l = e % 32): low nibble of ql[64 * half + 32 * (j % 2) + l] (j < 2) or its high nibble,
// high bits 2j of qh[32 * half + l]; weight = (d * scale) * (q - 32), as cpu/quant/q6_k.cc.
#pragma once

#include "cuda/quant/block_bytes.cuh"

namespace nt::cuda::quant {

struct Q6_K {
  static constexpr int kBlockElements = 256;
  static constexpr int kBlockBytes = 210;
  __device__ static void dequantize8(const uint8_t* block, int part, float out[8]) {
    const float d = f16_at(block + 208);
    const uint32_t group_scale = block[192 + (part >> 1)] ^ 0x80u;  // int8 + 128
    const float scale = __fmul_rn(d, small_int_to_float(group_scale, 128));
    const int half = part >> 4, j = (part >> 2) & 3, l0 = 8 * (part & 3);
    const uint2 ql = load8<2>(block + 64 * half + 32 * (j & 1) + l0);  // 210-byte blocks: 2-aligned
    const uint2 qh = load8<2>(block + 128 + 32 * half + l0);
    const int low_shift = j < 2 ? 0 : 4;
#pragma unroll
    for (int i = 0; i < 8; ++i) {
      const uint32_t q = ((byte_at(ql, i) >> low_shift) & 0xF) | (((byte_at(qh, i) >> (2 * j)) & 3) << 4);
      out[i] = __fmul_rn(scale, small_int_to_float(q, 32));
    }
  }
};

}  // namespace nt::cuda::quant
