// Q5_1 (ggml block_q5_1, 24 bytes): f16 d, f16 m, 32 high bits qh, 16 bytes of nibbles;
// weight = q * d + m with q in 0..31, rounded as cpu/quant/q5_1.cc (no contraction).
#pragma once

#include "cuda/quant/block_bytes.cuh"

namespace nt::cuda::quant {

struct Q5_1 {
  static constexpr int kBlockElements = 32;
  static constexpr int kBlockBytes = 24;
  __device__ static void dequantize8(const uint8_t* block, int part, float out[8]) {
    const float d = f16_at(block);
    const float m = f16_at(block + 2);
    const uint32_t high_bits = *reinterpret_cast<const uint32_t*>(block + 4) >> (8 * part);
    const uint2 qs = load8<8>(block + 8 + 8 * (part & 1));  // 24-byte blocks keep 8-byte alignment
    const int shift = 4 * (part >> 1);
#pragma unroll
    for (int i = 0; i < 8; ++i) {
      const uint32_t q = ((byte_at(qs, i) >> shift) & 0xF) | (((high_bits >> i) & 1) << 4);
      out[i] = __fadd_rn(__fmul_rn(small_int_to_float(q), d), m);
    }
  }
};

}  // namespace nt::cuda::quant
