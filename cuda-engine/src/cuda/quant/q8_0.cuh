// Q8_0 (ggml block_q8_0, 34 bytes): f16 d, 32 signed bytes; weight = q * d.
#pragma once

#include "cuda/quant/block_bytes.cuh"

namespace nt::cuda::quant {

struct Q8_0 {
  static constexpr int kBlockElements = 32;
  static constexpr int kBlockBytes = 34;
  __device__ static void dequantize8(const uint8_t* block, int part, float out[8]) {
    const float d = f16_at(block);
    const uint2 qs = load8<2>(block + 2 + 8 * part);
#pragma unroll
    for (int i = 0; i < 8; ++i) out[i] = __fmul_rn(small_int_to_float(byte_at(qs, i) ^ 0x80u, 128), d);
  }
};

}  // namespace nt::cuda::quant
