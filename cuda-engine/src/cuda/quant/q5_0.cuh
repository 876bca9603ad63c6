// Q5_0 (ggml block_q5_0, 22 bytes): f16 d, 32 high bits qh, 16 bytes of nibbles as Q4_0; element
// e's fifth bit is bit e of qh; weight = (q - 16) * d, as quant/dequantize.cc.
#pragma once

#include "cuda/quant/block_bytes.cuh"
#include "quant/blocks.h"

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

  // The matrix-vector kernel's share of lane `part` (0..3) in one block of kRows rows (block[r],
  // only 2-byte aligned): qs bytes 4 * part .. + 3, i.e. elements 4 * part + k (low nibbles, fifth
  // bits 4 * part + k of qh) and 16 + 4 * part + k (high nibbles, bits 16 + 4 * part + k), k = 0..3.
  static constexpr int kMatvecLanes = 4;
  template <int NT, int kRows>
  __device__ static void matvec_part(const uint8_t* const (&block)[kRows], int part, const float* const (&x)[NT],
                                     float (&acc)[kRows][NT]) {
    float q[kRows][8], d[kRows];
#pragma unroll
    for (int r = 0; r < kRows; ++r) {
      d[r] = f16_bits_to_float(__ldg(reinterpret_cast<const unsigned short*>(block[r])));
      const uint32_t qh = load4_2aligned(block[r] + 2);
      const uint32_t qs = load4_2aligned(block[r] + 6 + 4 * part);
      const uint32_t low = (qs & 0x0F0F0F0Fu) | (spread_bits4((qh >> (4 * part)) & 0xFu) << 4);
      const uint32_t high = ((qs >> 4) & 0x0F0F0F0Fu) | (spread_bits4((qh >> (16 + 4 * part)) & 0xFu) << 4);
#pragma unroll
      for (int k = 0; k < 4; ++k) {
        q[r][k] = byte_to_float(low, k, 16.0f);
        q[r][4 + k] = byte_to_float(high, k, 16.0f);
      }
    }
    legacy_matvec_dot<NT, kRows, false>(q, d, d, 4 * part, 16 + 4 * part, x, acc);
  }
};
static_assert(Q5_0::kBlockBytes == sizeof(::nt::quant::BlockQ5_0), "Q5_0's layout is quant/blocks.h's");

}  // namespace nt::cuda::quant
