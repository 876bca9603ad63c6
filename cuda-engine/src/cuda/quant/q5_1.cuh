// Q5_1 (ggml block_q5_1, 24 bytes): f16 d, f16 m, 32 high bits qh, 16 bytes of nibbles;
// weight = q * d + m with q in 0..31, rounded as quant/dequantize.cc (no contraction).
#pragma once

#include "cuda/quant/block_bytes.cuh"
#include "quant/blocks.h"

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

  // The matrix-vector kernel's share of lane `part` (0..3) in one block of kRows rows (block[r],
  // 8-byte aligned: 24-byte blocks): d, m and qh in one 8-byte load, qs bytes 4 * part .. + 3, i.e.
  // elements 4 * part + k (low nibbles, fifth bits 4 * part + k of qh) and 16 + 4 * part + k (high
  // nibbles, bits 16 + 4 * part + k), k = 0..3; d * sum(q x) + m * sum(x).
  static constexpr int kMatvecLanes = 4;
  template <int NT, int kRows>
  __device__ static void matvec_part(const uint8_t* const (&block)[kRows], int part, const float* const (&x)[NT],
                                     float (&acc)[kRows][NT]) {
    float q[kRows][8], d[kRows], m[kRows];
#pragma unroll
    for (int r = 0; r < kRows; ++r) {
      const uint2 head = __ldg(reinterpret_cast<const uint2*>(block[r]));
      d[r] = f16_bits_to_float(head.x & 0xFFFFu);
      m[r] = f16_bits_to_float(head.x >> 16);
      const uint32_t qh = head.y;
      const uint32_t qs = __ldg(reinterpret_cast<const uint32_t*>(block[r] + 8 + 4 * part));
      const uint32_t low = (qs & 0x0F0F0F0Fu) | (spread_bits4((qh >> (4 * part)) & 0xFu) << 4);
      const uint32_t high = ((qs >> 4) & 0x0F0F0F0Fu) | (spread_bits4((qh >> (16 + 4 * part)) & 0xFu) << 4);
#pragma unroll
      for (int k = 0; k < 4; ++k) {
        q[r][k] = byte_to_float(low, k);
        q[r][4 + k] = byte_to_float(high, k);
      }
    }
    legacy_matvec_dot<NT, kRows, true>(q, d, m, 4 * part, 16 + 4 * part, x, acc);
  }
};
static_assert(Q5_1::kBlockBytes == sizeof(::nt::quant::BlockQ5_1), "Q5_1's layout is quant/blocks.h's");

}  // namespace nt::cuda::quant
