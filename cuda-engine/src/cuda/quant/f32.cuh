// F32 weights, seen as 8-element "blocks" so that every format shares the 8-element part
// interface of the matmul kernels (rows must hold a multiple of 8 elements).
#pragma once

#include "cuda/quant/block_bytes.cuh"

namespace nt::cuda::quant {

struct F32 {
  static constexpr int kBlockElements = 8;
  static constexpr int kBlockBytes = 32;
  // Elements 8 * part .. 8 * part + 7 of the block at `block`.
  __device__ static void dequantize8(const uint8_t* block, int /*part*/, float out[8]) {
    const float4* v = reinterpret_cast<const float4*>(block);
    const float4 a = v[0], b = v[1];
    out[0] = a.x, out[1] = a.y, out[2] = a.z, out[3] = a.w;
    out[4] = b.x, out[5] = b.y, out[6] = b.z, out[7] = b.w;
  }
};

}  // namespace nt::cuda::quant
