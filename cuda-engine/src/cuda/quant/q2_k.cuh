// Q2_K (ggml block_q2_K, 84 bytes): 16 scale bytes (low nibble scale, high nibble min, one per 16
// elements), 64 bytes of 2-bit quants, f16 d, f16 dmin. Element e is bits 2 * ((e % 128) / 32)
// of qs[32 * (e / 128) + e % 32]; weight = (d * scale) * q - dmin * min, as quant/dequantize.cc.
#pragma once

#include "cuda/quant/block_bytes.cuh"
#include "quant/blocks.h"

namespace nt::cuda::quant {

struct Q2_K {
  static constexpr int kBlockElements = 256;
  static constexpr int kBlockBytes = 84;
  __device__ static void dequantize8(const uint8_t* block, int part, float out[8]) {
    const float d = f16_at(block + 80);
    const float dmin = f16_at(block + 82);
    const uint32_t packed = block[part >> 1];  // one scale byte per 16 elements
    const float scale = __fmul_rn(d, small_int_to_float(packed & 0xF));
    const float min = __fmul_rn(dmin, small_int_to_float(packed >> 4));
    const int half = part >> 4, shift = 2 * ((part >> 2) & 3);
    const uint2 qs = load8<4>(block + 16 + 32 * half + 8 * (part & 3));  // 84-byte blocks: 4-aligned
#pragma unroll
    for (int i = 0; i < 8; ++i) {
      out[i] = __fsub_rn(__fmul_rn(scale, small_int_to_float((byte_at(qs, i) >> shift) & 3)), min);
    }
  }

  // The matrix-vector kernel's share of lane `part` (0..7) in one super-block of kRows rows
  // (block[r], only 4-byte aligned) against NT tokens' activations (x[t], the block's first
  // element): acc[r][t] += the dot product of its 32 elements 128 * half + 32k + l0 + i (half =
  // part / 4, l0 = 8 * (part % 4), k = 0..3, i = 0..7), which are bits 2k of qs bytes
  // 32 * half + l0 + i (8 bytes) and lie in groups 8 * half + 2k + l0 / 16 (scale bytes
  // 8 * half + l0 / 16 + 2k). Per 8 elements: acc = fma(scale, sum(q x), acc), then
  // acc = fma(-min, sum(x), acc), with scale and min rounded as dequantize8's: with one-hot x, acc
  // is +-0 before the hot element's group, so it becomes (scale * q) - min, rounded twice as
  // dequantize8 does, bit for bit.
  static constexpr int kMatvecLanes = 8;
  template <int NT, int kRows>
  __device__ static void matvec_part(const uint8_t* const (&block)[kRows], int part, const float* const (&x)[NT],
                                     float (&acc)[kRows][NT]) {
    const int half = part >> 2, l0 = 8 * (part & 3);
    // The four groups' scale (low nibble) and min (high nibble) bytes: byte k of these words is
    // group 8 * half + 2k + l0 / 16's, gathered from bytes l0 / 16 + 2k of the half's eight.
    const uint32_t group_bytes = 0x6420u + 0x1111u * static_cast<uint32_t>(l0 >> 4);
    uint2 qs[kRows];
    uint32_t scales[kRows], mins[kRows];
    float d[kRows], dmin[kRows];
#pragma unroll
    for (int r = 0; r < kRows; ++r) {
      // 84-byte blocks keep 4-byte alignment: 4-byte loads (words of the block).
      const uint32_t* words = reinterpret_cast<const uint32_t*>(block[r]);
      qs[r] = make_uint2(__ldg(words + 4 + 8 * half + 2 * (part & 3)), __ldg(words + 5 + 8 * half + 2 * (part & 3)));
      const uint32_t packed = __byte_perm(__ldg(words + 2 * half), __ldg(words + 2 * half + 1), group_bytes);
      scales[r] = packed & 0x0F0F0F0Fu;
      mins[r] = (packed >> 4) & 0x0F0F0F0Fu;
      const uint32_t d_dmin = __ldg(words + 20);
      d[r] = f16_bits_to_float(d_dmin & 0xFFFFu);
      dmin[r] = f16_bits_to_float(d_dmin >> 16);
    }
    // With many tokens a rolled loop keeps the compiler from hoisting every activation load
    // (4 x 2 x NT float4) into registers, as in Q6_K.
#pragma unroll(NT >= 4 ? 1 : 4)
    for (int k = 0; k < 4; ++k) {
      float scale[kRows], min[kRows];
#pragma unroll
      for (int r = 0; r < kRows; ++r) {
        scale[r] = __fmul_rn(d[r], byte_to_float(scales[r], k));
        min[r] = __fmul_rn(dmin[r], byte_to_float(mins[r], k));
      }
      float dot[kRows][NT], sum_x[NT];
#pragma unroll
      for (int t = 0; t < NT; ++t) {
        sum_x[t] = 0.0f;
#pragma unroll
        for (int r = 0; r < kRows; ++r) dot[r][t] = 0.0f;
      }
#pragma unroll
      for (int m = 0; m < 2; ++m) {
        float q[kRows][4];
#pragma unroll
        for (int r = 0; r < kRows; ++r) {
          const uint32_t q2 = ((m == 0 ? qs[r].x : qs[r].y) >> (2 * k)) & 0x03030303u;
#pragma unroll
          for (int i = 0; i < 4; ++i) q[r][i] = byte_to_float(q2, i);
        }
#pragma unroll
        for (int t = 0; t < NT; ++t) {
          const float4 xv = __ldg(reinterpret_cast<const float4*>(x[t] + 128 * half + 32 * k + l0 + 4 * m));
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
        for (int t = 0; t < NT; ++t) acc[r][t] = fmaf(-min[r], sum_x[t], fmaf(scale[r], dot[r][t], acc[r][t]));
      }
    }
  }
};
static_assert(Q2_K::kBlockBytes == sizeof(::nt::quant::BlockQ2_K), "Q2_K's layout is quant/blocks.h's");

}  // namespace nt::cuda::quant
