// The 6-bit scales and mins that Q4_K and Q5_K share (ggml's get_scale_min_k4), one pair per
// 32-element sub-block, as quant/blocks.h's unpack_k4_scales: sub-blocks 0-3 use the low 6
// bits of bytes 0-3 (scales) and 4-7 (mins); sub-blocks 4-7 take their low 4 bits from bytes
// 8-11 and their top 2 bits from the top 2 bits of bytes 0-3 (scales) and 4-7 (mins).
#pragma once

#include <cstdint>

#include "cuda/quant/block_bytes.cuh"

namespace nt::cuda::quant {

__device__ __forceinline__ void k4_scale_min(const uint8_t* packed, int s, uint32_t& scale, uint32_t& min) {
  if (s < 4) {
    scale = packed[s] & 63;
    min = packed[s + 4] & 63;
  } else {
    scale = (packed[s + 4] & 0xF) | ((packed[s - 4] >> 6) << 4);
    min = (packed[s + 4] >> 4) | ((packed[s] >> 6) << 4);
  }
}

// The matrix-vector kernel's share of lane `part` (0..7) in one Q4_K or Q5_K super-block of kRows
// rows (block[r], 16-byte aligned: 144- and 176-byte blocks keep it) against NT tokens'
// activations (x[t], the block's first element): acc[r][t] += the dot product of its 32 elements,
// which are the nibbles of qs bytes 16 * part .. + 15 (one 16-byte load at qs_offset + 16 * part):
// low nibbles = elements e0 + i of sub-block 2j, high nibbles = e0 + 32 + i of sub-block 2j + 1
// (j = part / 2, e0 = 64j + 16 * (part % 2), i = 0..15); Q5_K's fifth bits are bits 2j and 2j + 1
// of qh[16 * (part % 2) + i] (another 16-byte load at byte 16). Per 16-element half sub-block:
// scale * sum(q x) - min * sum(x) with the float products of dequantize8, so one-hot x gives
// dequantize8's weight bit for bit. Q4_K's high nibbles are masked in place (16 q, exact) and the
// 16 is taken out of the scale (exact, a power of two).
template <int NT, int kRows, bool kFifthBit>
__device__ __forceinline__ void k4_matvec_part(const uint8_t* const (&block)[kRows], int qs_offset, int part,
                                               const float* const (&x)[NT], float (&acc)[kRows][NT]) {
  uint4 head[kRows], qs[kRows], qh[kRows];
#pragma unroll
  for (int r = 0; r < kRows; ++r) {
    head[r] = __ldg(reinterpret_cast<const uint4*>(block[r]));
    qs[r] = __ldg(reinterpret_cast<const uint4*>(block[r] + qs_offset + 16 * part));
    if constexpr (kFifthBit) qh[r] = __ldg(reinterpret_cast<const uint4*>(block[r] + 16 + 16 * (part & 1)));
  }
  const int j = part >> 1;
  const uint32_t k0 = 2 * (j & 1);  // byte of the packed scale words for sub-block 2j; k0 + 1 for 2j + 1
  float scale[kRows][2], min[kRows][2];
#pragma unroll
  for (int r = 0; r < kRows; ++r) {
    // k4_scale_min for four sub-blocks at once: byte k of these words is sub-block k's (j < 2) or
    // k + 4's (j >= 2) 6-bit scale and min.
    const uint32_t y = head[r].y, z = head[r].z, w = head[r].w;
    const uint32_t scales = j < 2 ? (y & 0x3F3F3F3Fu) : ((w & 0x0F0F0F0Fu) | ((y >> 2) & 0x30303030u));
    const uint32_t mins = j < 2 ? (z & 0x3F3F3F3Fu) : (((w >> 4) & 0x0F0F0F0Fu) | ((z >> 2) & 0x30303030u));
    const float d = f16_bits_to_float(head[r].x & 0xFFFFu);
    const float dmin = f16_bits_to_float(head[r].x >> 16);
    scale[r][0] = __fmul_rn(d, byte_to_float(scales, k0));
    scale[r][1] = __fmul_rn(d, byte_to_float(scales, k0 + 1));
    if constexpr (!kFifthBit) scale[r][1] = __fmul_rn(scale[r][1], 0.0625f);
    min[r][0] = __fmul_rn(dmin, byte_to_float(mins, k0));
    min[r][1] = __fmul_rn(dmin, byte_to_float(mins, k0 + 1));
  }
  const int e0 = 64 * j + 16 * (part & 1);
  // With many tokens a rolled loop keeps the compiler from hoisting every activation load into
  // registers, which spilled.
#pragma unroll(NT >= 4 ? 1 : 2)
  for (int h = 0; h < 2; ++h) {
    float dot[kRows][NT], sum_x[NT];
#pragma unroll
    for (int t = 0; t < NT; ++t) {
      sum_x[t] = 0.0f;
#pragma unroll
      for (int r = 0; r < kRows; ++r) dot[r][t] = 0.0f;
    }
#pragma unroll
    for (int m = 0; m < 4; ++m) {
      float q[kRows][4];
#pragma unroll
      for (int r = 0; r < kRows; ++r) {
        const uint32_t word = m == 0 ? qs[r].x : m == 1 ? qs[r].y : m == 2 ? qs[r].z : qs[r].w;
        uint32_t quants;
        if constexpr (kFifthBit) {
          const uint32_t high = m == 0 ? qh[r].x : m == 1 ? qh[r].y : m == 2 ? qh[r].z : qh[r].w;
          quants = ((word >> (4 * h)) & 0x0F0F0F0Fu) | (((high >> (2 * j + h)) & 0x01010101u) << 4);
        } else {
          quants = word & (h == 0 ? 0x0F0F0F0Fu : 0xF0F0F0F0u);
        }
#pragma unroll
        for (int k = 0; k < 4; ++k) q[r][k] = byte_to_float(quants, k);
      }
#pragma unroll
      for (int t = 0; t < NT; ++t) {
        const float4 xv = __ldg(reinterpret_cast<const float4*>(x[t] + e0 + 32 * h + 4 * m));
        sum_x[t] = (((sum_x[t] + xv.x) + xv.y) + xv.z) + xv.w;
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
    for (int r = 0; r < kRows; ++r) {
#pragma unroll
      for (int t = 0; t < NT; ++t) {
        const float sc = h == 0 ? scale[r][0] : scale[r][1], mn = h == 0 ? min[r][0] : min[r][1];
        acc[r][t] = __fadd_rn(acc[r][t], __fsub_rn(__fmul_rn(sc, dot[r][t]), __fmul_rn(mn, sum_x[t])));
      }
    }
  }
}

}  // namespace nt::cuda::quant
