// F16 weights, as 8-element "blocks" (see f32.cuh); widening is exact.
#pragma once

#include "cuda/quant/block_bytes.cuh"

namespace nt::cuda::quant {

struct F16 {
  static constexpr int kBlockElements = 8;
  static constexpr int kBlockBytes = 16;
  __device__ static void dequantize8(const uint8_t* block, int /*part*/, float out[8]) {
    const uint4 v = *reinterpret_cast<const uint4*>(block);
    const uint32_t w[4] = {v.x, v.y, v.z, v.w};
#pragma unroll
    for (int i = 0; i < 4; ++i) {
      out[2 * i] = f16_bits_to_float(w[i] & 0xFFFFu);
      out[2 * i + 1] = f16_bits_to_float(w[i] >> 16);
    }
  }
};

}  // namespace nt::cuda::quant
