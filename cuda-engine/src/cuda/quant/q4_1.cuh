// Q4_1 (ggml block_q4_1, 20 bytes): f16 d, f16 m, 16 bytes of nibbles laid out as Q4_0's;
// weight = q * d + m, rounded after the multiply and after the add as cpu/quant/q4_1.cc (which
// is built without FMA contraction), hence the explicit _rn intrinsics.
#pragma once

#include "cuda/quant/block_bytes.cuh"

namespace nt::cuda::quant {

struct Q4_1 {
  static constexpr int kBlockElements = 32;
  static constexpr int kBlockBytes = 20;
  __device__ static void dequantize8(const uint8_t* block, int part, float out[8]) {
    const float d = f16_at(block);
    const float m = f16_at(block + 2);
    const uint2 qs = load8<4>(block + 4 + 8 * (part & 1));
    const int shift = 4 * (part >> 1);
#pragma unroll
    for (int i = 0; i < 8; ++i) out[i] = __fadd_rn(__fmul_rn(small_int_to_float((byte_at(qs, i) >> shift) & 0xF), d), m);
  }
};

}  // namespace nt::cuda::quant
