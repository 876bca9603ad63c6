// Q5_K (ggml block_q5_K, 176 bytes): f16 d, f16 dmin, 12 bytes of scales and mins as Q4_K, 32
// bytes qh, 128 bytes of nibbles as Q4_K; element e's fifth bit is bit e / 32 of qh[e % 32];
// weight = (d * scale) * q - dmin * min, as quant/dequantize.cc.
#pragma once

#include "cuda/quant/block_bytes.cuh"
#include "cuda/quant/k4_scales.cuh"
#include "quant/blocks.h"

namespace nt::cuda::quant {

struct Q5_K {
  static constexpr int kBlockElements = 256;
  static constexpr int kBlockBytes = 176;
  __device__ static void dequantize8(const uint8_t* block, int part, float out[8]) {
    const float d = f16_at(block);
    const float dmin = f16_at(block + 2);
    uint32_t sc, mn;
    k4_scale_min(block + 4, part >> 2, sc, mn);
    const float scale = __fmul_rn(d, small_int_to_float(sc));
    const float min = __fmul_rn(dmin, small_int_to_float(mn));
    const uint2 qh = load8<8>(block + 16 + 8 * (part & 3));  // 176 = 11 * 16
    const uint2 qs = load8<8>(block + 48 + 32 * (part >> 3) + 8 * (part & 3));
    const int shift = (part & 4) ? 4 : 0;
    const int high_bit = part >> 2;
#pragma unroll
    for (int i = 0; i < 8; ++i) {
      const uint32_t q = ((byte_at(qs, i) >> shift) & 0xF) | (((byte_at(qh, i) >> high_bit) & 1) << 4);
      out[i] = __fsub_rn(__fmul_rn(scale, small_int_to_float(q)), min);
    }
  }

  // The matrix-vector kernel's share of one lane of a super-block: see k4_matvec_part.
  static constexpr int kMatvecLanes = 8;
  template <int NT, int kRows>
  __device__ static void matvec_part(const uint8_t* const (&block)[kRows], int part, const float* const (&x)[NT],
                                     float (&acc)[kRows][NT]) {
    k4_matvec_part<NT, kRows, true>(block, 48, part, x, acc);
  }
};
static_assert(Q5_K::kBlockBytes == sizeof(::nt::quant::BlockQ5_K), "Q5_K's layout is quant/blocks.h's");

}  // namespace nt::cuda::quant
