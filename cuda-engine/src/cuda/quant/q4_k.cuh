// Q4_K (ggml block_q4_K, 144 bytes): f16 d, f16 dmin, 12 bytes of 6-bit scales and mins, 128
// bytes of nibbles; element e is the low (e % 64 < 32) or high nibble of qs[32 * (e / 64) + e % 32];
// weight = (d * scale) * q - dmin * min per 32-element sub-block, as quant/dequantize.cc.
#pragma once

#include "cuda/quant/block_bytes.cuh"
#include "cuda/quant/k4_scales.cuh"
#include "quant/blocks.h"

namespace nt::cuda::quant {

struct Q4_K {
  static constexpr int kBlockElements = 256;
  static constexpr int kBlockBytes = 144;
  __device__ static void dequantize8(const uint8_t* block, int part, float out[8]) {
    const float d = f16_at(block);
    const float dmin = f16_at(block + 2);
    uint32_t sc, mn;
    k4_scale_min(block + 4, part >> 2, sc, mn);
    const float scale = __fmul_rn(d, small_int_to_float(sc));
    const float min = __fmul_rn(dmin, small_int_to_float(mn));
    const uint2 qs = load8<8>(block + 16 + 32 * (part >> 3) + 8 * (part & 3));  // 144 = 9 * 16
    const int shift = (part & 4) ? 4 : 0;
#pragma unroll
    for (int i = 0; i < 8; ++i) {
      out[i] = __fsub_rn(__fmul_rn(scale, small_int_to_float((byte_at(qs, i) >> shift) & 0xF)), min);
    }
  }

  // The matrix-vector kernel's share of one lane of a super-block: see k4_matvec_part.
  static constexpr int kMatvecLanes = 8;
  template <int NT, int kRows>
  __device__ static void matvec_part(const uint8_t* const (&block)[kRows], int part, const float* const (&x)[NT],
                                     float (&acc)[kRows][NT]) {
    k4_matvec_part<NT, kRows, false>(block, 16, part, x, acc);
  }
};
static_assert(Q4_K::kBlockBytes == sizeof(::nt::quant::BlockQ4_K), "Q4_K's layout is quant/blocks.h's");

}  // namespace nt::cuda::quant
