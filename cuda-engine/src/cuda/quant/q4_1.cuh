// Q4_1 (ggml block_q4_1, 20 bytes): f16 d, f16 m, 16 bytes of nibbles laid out as Q4_0's;
// weight = q * d + m, rounded after the multiply and after the add as quant/dequantize.cc (which
// is built without FMA contraction), hence the explicit _rn intrinsics.
#pragma once

#include "cuda/quant/block_bytes.cuh"
#include "quant/blocks.h"

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

  // The matrix-vector kernel's share of lane `part` (0..3) in one block of kRows rows (block[r],
  // 4-byte aligned: 20-byte blocks): qs bytes 4 * part .. + 3, i.e. elements 4 * part + k (low
  // nibbles) and 16 + 4 * part + k (high nibbles), k = 0..3; d * sum(q x) + m * sum(x).
  static constexpr int kMatvecLanes = 4;
  template <int NT, int kRows>
  __device__ static void matvec_part(const uint8_t* const (&block)[kRows], int part, const float* const (&x)[NT],
                                     float (&acc)[kRows][NT]) {
    float q[kRows][8], d[kRows], m[kRows];
#pragma unroll
    for (int r = 0; r < kRows; ++r) {
      const uint32_t head = __ldg(reinterpret_cast<const uint32_t*>(block[r]));
      d[r] = f16_bits_to_float(head & 0xFFFFu);
      m[r] = f16_bits_to_float(head >> 16);
      const uint32_t qs = __ldg(reinterpret_cast<const uint32_t*>(block[r] + 4 + 4 * part));
      const uint32_t low = qs & 0x0F0F0F0Fu, high = (qs >> 4) & 0x0F0F0F0Fu;
#pragma unroll
      for (int k = 0; k < 4; ++k) {
        q[r][k] = byte_to_float(low, k);
        q[r][4 + k] = byte_to_float(high, k);
      }
    }
    legacy_matvec_dot<NT, kRows, true>(q, d, m, 4 * part, 16 + 4 * part, x, acc);
  }
};
static_assert(Q4_1::kBlockBytes == sizeof(::nt::quant::BlockQ4_1), "Q4_1's layout is quant/blocks.h's");

}  // namespace nt::cuda::quant
