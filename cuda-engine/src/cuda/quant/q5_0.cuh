// Q5_0 (ggml block_q5_0, 22 bytes): f16 d, 32 high bits qh, 16 bytes of nibbles as Q4_0; element
// e's fifth bit is bit e of qh; weight = (q - 16) * d, as cpu/quant/q5_0.cc.
#pragma once

#include "cuda/quant/block_bytes.cuh"

namespace nt::cuda::quant {

struct Q5_0 {
  static constexpr int kBlockElements = 32;
  static constexpr int kBlockBytes = 22;
  __device__ static void dequantize8(const uint8_t* block, int part, float out[8]) {
    const float d = f16_at(block);
    const uint16_t* qh16 = reinterpret_cast<const uint16_t*>(block + 2);  // 2-byte aligned only
    const uint32_t high_bits = (qh16[0] | (uint32_t{qh16[1]} << 16)) >> (8 * part);
    const uint2 qs = load8<2>(block + 6 + 8 * (part & 1));
    const int shift = 4 * (part >> 1);
#pragma unroll
    for (int i = 0; i < 8; ++i) {
      const uint32_t q = ((byte_at(qs, i) >> shift) & 0xF) | (((high_bits >> i) & 1) << 4);
      out[i] = __fmul_rn(small_int_to_float(q, 16), d);
    }
  }
};

}  // namespace nt::cuda::quant
