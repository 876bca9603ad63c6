// Q8_0 (ggml block_q8_0, 34 bytes): f16 d, 32 signed bytes; weight = q * d.
#pragma once

#include "cuda/quant/block_bytes.cuh"
#include "quant/blocks.h"

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

  // The matrix-vector kernel's share of lane `part` (0..3) in one block of kRows rows (block[r],
  // only 2-byte aligned: 34-byte blocks): elements 8 * part .. + 7, whose quants are bytes
  // 2 + 8 * part .. + 7 (read without touching bytes past the block, which may end the tensor).
  static constexpr int kMatvecLanes = 4;
  template <int NT, int kRows>
  __device__ static void matvec_part(const uint8_t* const (&block)[kRows], int part, const float* const (&x)[NT],
                                     float (&acc)[kRows][NT]) {
    float q[kRows][8], d[kRows];
#pragma unroll
    for (int r = 0; r < kRows; ++r) {
      d[r] = f16_bits_to_float(__ldg(reinterpret_cast<const unsigned short*>(block[r])));
      const uint2 qs = load8_2aligned_to_end(block[r] + 2 + 8 * part);
      const uint32_t low = qs.x ^ 0x80808080u, high = qs.y ^ 0x80808080u;  // int8 + 128
#pragma unroll
      for (int k = 0; k < 4; ++k) {
        q[r][k] = byte_to_float(low, k, 128.0f);
        q[r][4 + k] = byte_to_float(high, k, 128.0f);
      }
    }
    legacy_matvec_dot<NT, kRows, false>(q, d, d, 8 * part, 8 * part + 4, x, acc);
  }
};
static_assert(Q8_0::kBlockBytes == sizeof(::nt::quant::BlockQ8_0), "Q8_0's layout is quant/blocks.h's");

}  // namespace nt::cuda::quant
