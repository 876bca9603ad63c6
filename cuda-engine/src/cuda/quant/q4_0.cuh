// Q4_0 (ggml block_q4_0, 18 bytes): f16 d, 16 bytes of nibbles; element j is the low nibble of
// byte j, element j + 16 the high one; weight = (q - 8) * d, as cpu/quant/q4_0.cc.
#pragma once

#include "cuda/quant/block_bytes.cuh"

namespace nt::cuda::quant {

struct Q4_0 {
  static constexpr int kBlockElements = 32;
  static constexpr int kBlockBytes = 18;
  __device__ static void dequantize8(const uint8_t* block, int part, float out[8]) {
    const float d = f16_at(block);
    const uint2 qs = load8<2>(block + 2 + 8 * (part & 1));  // 18-byte blocks: 2-byte aligned
    const int shift = 4 * (part >> 1);
#pragma unroll
    for (int i = 0; i < 8; ++i) out[i] = __fmul_rn(small_int_to_float((byte_at(qs, i) >> shift) & 0xF, 8), d);
  }
};

}  // namespace nt::cuda::quant
