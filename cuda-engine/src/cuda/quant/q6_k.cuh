// Q6_K (ggml block_q6_K, 210 bytes): 128 bytes ql (low nibbles), 64 bytes qh (2 high bits), 16
// signed scales (one per 16 elements), f16 d. Element e (half = e / 128, j = (e % 128) / 32,
// l = e % 32): low nibble of ql[64 * half + 32 * (j % 2) + l] (j < 2) or its high nibble,
// high bits 2j of qh[32 * half + l]; weight = (d * scale) * (q - 32), as quant/dequantize.cc.
#pragma once

#include "cuda/quant/block_bytes.cuh"
#include "quant/blocks.h"

namespace nt::cuda::quant {

struct Q6_K {
  static constexpr int kBlockElements = 256;
  static constexpr int kBlockBytes = 210;
  __device__ static void dequantize8(const uint8_t* block, int part, float out[8]) {
    const float d = f16_at(block + 208);
    const uint32_t group_scale = block[192 + (part >> 1)] ^ 0x80u;  // int8 + 128
    const float scale = __fmul_rn(d, small_int_to_float(group_scale, 128));
    const int half = part >> 4, j = (part >> 2) & 3, l0 = 8 * (part & 3);
    const uint2 ql = load8<2>(block + 64 * half + 32 * (j & 1) + l0);  // 210-byte blocks: 2-aligned
    const uint2 qh = load8<2>(block + 128 + 32 * half + l0);
    const int low_shift = j < 2 ? 0 : 4;
#pragma unroll
    for (int i = 0; i < 8; ++i) {
      const uint32_t q = ((byte_at(ql, i) >> low_shift) & 0xF) | (((byte_at(qh, i) >> (2 * j)) & 3) << 4);
      out[i] = __fmul_rn(scale, small_int_to_float(q, 32));
    }
  }

  // The matrix-vector kernel's share of lane `part` (0..7) in one super-block of kRows rows
  // (block[r], only 2-byte aligned) against NT tokens' activations (x[t], the block's first
  // element): acc[r][t] += the dot product of its 32 elements 128 * half + 32j + l0 + i (half =
  // part / 4, l0 = 8 * (part % 4), j = 0..3, i = 0..7), which read 8 bytes each of ql (j = 0, 2
  // and j = 1, 3), qh, and one scale per j. Per 8 elements: (d * scale) * sum((q - 32) x), so with
  // one-hot x it gives dequantize8's weight bit for bit.
  static constexpr int kMatvecLanes = 8;
  template <int NT, int kRows>
  __device__ static void matvec_part(const uint8_t* const (&block)[kRows], int part, const float* const (&x)[NT],
                                     float (&acc)[kRows][NT]) {
    const int half = part >> 2, l0 = 8 * (part & 3);
    uint2 ql[kRows][2], qh[kRows], scale_bytes[kRows];
    float d[kRows];
#pragma unroll
    for (int r = 0; r < kRows; ++r) {
      ql[r][0] = load8_2aligned(block[r] + 64 * half + l0);
      ql[r][1] = load8_2aligned(block[r] + 64 * half + 32 + l0);
      qh[r] = load8_2aligned(block[r] + 128 + 32 * half + l0);
      scale_bytes[r] = load8_2aligned(block[r] + 192 + 8 * half);  // byte 2j + l0 / 16 is j's scale
      d[r] = f16_bits_to_float(__ldg(reinterpret_cast<const unsigned short*>(block[r] + 208)));
    }
    const uint32_t scale_byte = l0 >> 4;
    // With many tokens a rolled loop keeps the compiler from hoisting every activation load
    // (4 x 2 x NT float4) into registers, which spilled.
#pragma unroll(NT >= 4 ? 1 : 4)
    for (int j = 0; j < 4; ++j) {
      float scale[kRows];
#pragma unroll
      for (int r = 0; r < kRows; ++r) {
        const uint32_t word = (j < 2 ? scale_bytes[r].x : scale_bytes[r].y) ^ 0x80808080u;  // int8 + 128
        scale[r] = __fmul_rn(d[r], byte_to_float(word, 2 * (j & 1) + scale_byte, 128.0f));
      }
      float dot[kRows][NT];
#pragma unroll
      for (int r = 0; r < kRows; ++r)
#pragma unroll
        for (int t = 0; t < NT; ++t) dot[r][t] = 0.0f;
#pragma unroll
      for (int m = 0; m < 2; ++m) {
        float q[kRows][4];
#pragma unroll
        for (int r = 0; r < kRows; ++r) {
          const uint2 low_bytes = (j & 1) ? ql[r][1] : ql[r][0];
          const uint32_t low = m == 0 ? low_bytes.x : low_bytes.y;
          const uint32_t high = m == 0 ? qh[r].x : qh[r].y;
          const uint32_t nibbles = j < 2 ? (low & 0x0F0F0F0Fu) : ((low >> 4) & 0x0F0F0F0Fu);
          const uint32_t q6 = nibbles | (((high >> (2 * j)) & 0x03030303u) << 4);
#pragma unroll
          for (int k = 0; k < 4; ++k) q[r][k] = byte_to_float(q6, k, 32.0f);
        }
#pragma unroll
        for (int t = 0; t < NT; ++t) {
          const float4 xv = __ldg(reinterpret_cast<const float4*>(x[t] + 128 * half + 32 * j + l0 + 4 * m));
#pragma unroll
          for (int r = 0; r < kRows; ++r) {
            float s = dot[r][t];
            s = fmaf(q[r][0], xv.x, s);
            s = fmaf(q[r][1], xv.y, s);
            s = fmaf(q[r][2], xv.z, s);
            s = fmaf(q[r][3], xv.w, s);
            dot[r][t] = s;
          }
        }
      }
#pragma unroll
      for (int r = 0; r < kRows; ++r)
#pragma unroll
        for (int t = 0; t < NT; ++t) acc[r][t] = fmaf(scale[r], dot[r][t], acc[r][t]);
    }
  }
};
static_assert(Q6_K::kBlockBytes == sizeof(::nt::quant::BlockQ6_K), "Q6_K's layout is quant/blocks.h's");

}  // namespace nt::cuda::quant
