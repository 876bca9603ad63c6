// Q3_K (ggml block_q3_K, 110 bytes): 32 bytes hmask, 64 bytes of 2-bit quants, 12 bytes of
// packed 6-bit scales (offset 32), f16 d. Element e: low bits as Q2_K's, high bit e / 32 of
// hmask[e % 32] (clear means subtract 4); weight = (d * scale) * q, as quant/dequantize.cc.
#pragma once

#include "cuda/quant/block_bytes.cuh"
#include "quant/blocks.h"

namespace nt::cuda::quant {

struct Q3_K {
  static constexpr int kBlockElements = 256;
  static constexpr int kBlockBytes = 110;

  // Scale g (0..15) plus 32 (the offset it is stored with): low 4 bits from the low (g < 8) or high (g >= 8)
  // nibble of byte g % 8, high 2 bits from bits 2 * (g / 4) of byte 8 + g % 4.
  __device__ static uint32_t scale_at(const uint8_t* packed, int g) {
    const int low = g < 8 ? packed[g] & 0xF : packed[g - 8] >> 4;
    const int high = (packed[8 + (g & 3)] >> (2 * (g >> 2))) & 3;
    return low | (high << 4);
  }

  __device__ static void dequantize8(const uint8_t* block, int part, float out[8]) {
    const float d = f16_at(block + 108);
    const float scale = __fmul_rn(d, small_int_to_float(scale_at(block + 96, part >> 1), 32));
    const int half = part >> 4, shift = 2 * ((part >> 2) & 3), l0 = 8 * (part & 3);
    const uint2 qs = load8<2>(block + 32 + 32 * half + l0);  // 110-byte blocks: 2-aligned
    const uint2 hmask = load8<2>(block + l0);
    const int high_bit = part >> 2;  // e / 32
#pragma unroll
    for (int i = 0; i < 8; ++i) {
      // q = low (high bit set) or low - 4: as unsigned low + 4 * high, minus 4.
      const uint32_t q = ((byte_at(qs, i) >> shift) & 3) | (((byte_at(hmask, i) >> high_bit) & 1) << 2);
      out[i] = __fmul_rn(scale, small_int_to_float(q, 4));
    }
  }

  // Block bytes 4i .. 4i + 7 from the aligned words at or before the block (words = block -
  // shift / 8): two 4-byte loads, and when the block is not 4-aligned a third (bytes 4i + 6 ..
  // 4i + 9) joined by funnel shifts.
  __device__ static uint2 bytes8(const uint32_t* words, int i, uint32_t shift) {
    const uint32_t w0 = __ldg(words + i), w1 = __ldg(words + i + 1);
    const uint32_t w2 = shift != 0 ? __ldg(words + i + 2) : 0u;
    return make_uint2(__funnelshift_r(w0, w1, shift), __funnelshift_r(w1, w2, shift));
  }

  // The matrix-vector kernel's share of lane `part` (0..7) in one super-block of kRows rows
  // (block[r], only 2-byte aligned) against NT tokens' activations (x[t], the block's first
  // element): acc[r][t] += the dot product of its 32 elements 128 * half + 32k + l0 + i (half =
  // part / 4, l0 = 8 * (part % 4), k = 0..3, i = 0..7), whose low bits are bits 2k of qs bytes
  // 32 * half + l0 + i and high bits bit 4 * half + k of hmask bytes l0 + i (8 bytes each), in
  // groups 8 * half + 2k + l0 / 16. Per 8 elements: (d * scale) * sum((q - 4) x), so with one-hot
  // x it gives dequantize8's weight bit for bit.
  static constexpr int kMatvecLanes = 8;
  template <int NT, int kRows>
  __device__ static void matvec_part(const uint8_t* const (&block)[kRows], int part, const float* const (&x)[NT],
                                     float (&acc)[kRows][NT]) {
    const int half = part >> 2, l0 = 8 * (part & 3);
    const uint32_t odd_group = static_cast<uint32_t>(l0 >> 4);
    uint2 qs[kRows], hmask[kRows];
    uint32_t scales[kRows];
    float d[kRows];
#pragma unroll
    for (int r = 0; r < kRows; ++r) {
      // 110-byte blocks are only 2-aligned, but every field read here starts a multiple of 4 bytes
      // into the block: so one aligned base and one funnel shift (0 or 16) serve the whole row.
      const uintptr_t start = reinterpret_cast<uintptr_t>(block[r]);
      const uint32_t* words = reinterpret_cast<const uint32_t*>(start & ~uintptr_t{3});
      const uint32_t shift = static_cast<uint32_t>(start & 2) * 8;
      qs[r] = bytes8(words, 8 + 8 * half + (l0 >> 2), shift);
      // Bit k of each hmask byte is now element 128 * half + 32k + l's high bit: constant shifts
      // below.
      hmask[r] = bytes8(words, l0 >> 2, shift);
      hmask[r].x >>= 4 * half;
      hmask[r].y >>= 4 * half;
      // Bytes 96-109: packed scale bytes 0-11, then d. Past byte 108 the block may end the tensor,
      // so when it is 4-aligned its last word is read as 2 bytes.
      const uint32_t w24 = __ldg(words + 24), w25 = __ldg(words + 25), w26 = __ldg(words + 26);
      const uint32_t w27 =
          shift != 0 ? __ldg(words + 27) : uint32_t{__ldg(reinterpret_cast<const unsigned short*>(words + 27))};
      const uint32_t packed_0_3 = __funnelshift_r(w24, w25, shift), packed_4_7 = __funnelshift_r(w25, w26, shift);
      const uint32_t packed_8_11 = __funnelshift_r(w26, w27, shift);
      d[r] = f16_bits_to_float(__funnelshift_r(w27, 0u, shift) & 0xFFFFu);
      // scale_at for the four groups 8 * half + 2k + l0 / 16 at once, byte k each: the low 4
      // bits are nibble `half` of packed byte 2k + l0 / 16, the high 2 bits bits
      // 4 * half + 2 * (k / 2) of packed byte 8 + 2 * (k % 2) + l0 / 16.
      const uint32_t low = __byte_perm(packed_0_3, packed_4_7, 0x6420u + 0x1111u * odd_group) >> (4 * half);
      const uint32_t high = __byte_perm(packed_8_11, 0u, 0x2020u + 0x1111u * odd_group) >> (4 * half);
      scales[r] = (low & 0x0F0F0F0Fu) | (((high & 0x00000303u) | ((high >> 2) & 0x03030000u)) << 4);
    }
    // With many tokens a rolled loop keeps the compiler from hoisting every activation load
    // (4 x 2 x NT float4) into registers, as in Q6_K.
#pragma unroll(NT >= 4 ? 1 : 4)
    for (int k = 0; k < 4; ++k) {
      float scale[kRows];
#pragma unroll
      for (int r = 0; r < kRows; ++r) scale[r] = __fmul_rn(d[r], byte_to_float(scales[r], k, 32.0f));
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
          const uint32_t low_bits = ((m == 0 ? qs[r].x : qs[r].y) >> (2 * k)) & 0x03030303u;
          const uint32_t high_bits = (((m == 0 ? hmask[r].x : hmask[r].y) >> k) << 2) & 0x04040404u;
          const uint32_t q3 = low_bits | high_bits;  // q + 4
#pragma unroll
          for (int i = 0; i < 4; ++i) q[r][i] = byte_to_float(q3, i, 4.0f);
        }
#pragma unroll
        for (int t = 0; t < NT; ++t) {
          const float4 xv = __ldg(reinterpret_cast<const float4*>(x[t] + 128 * half + 32 * k + l0 + 4 * m));
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
static_assert(Q3_K::kBlockBytes == sizeof(::nt::quant::BlockQ3_K), "Q3_K's layout is quant/blocks.h's");

}  // namespace nt::cuda::quant
