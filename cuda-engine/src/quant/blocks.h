// The block formats the engine computes with, laid out as ggml lays them out (ggml-common.h), and
// how each stores an element's quantized value. The core both backends share: the reference
// dequantization (quant/dequantize.h) and the CPU's dot products (cpu/quant) read blocks through
// these; the CUDA kernels (cuda/quant) read the same bytes with loads of their own and check
// their block sizes against these structs.
#pragma once

#include <cstdint>
#include <cstring>

namespace nt::quant {

constexpr int kBlock32 = 32;  // QK4_0 = QK4_1 = QK5_0 = QK5_1 = QK8_0 = QK8_1
constexpr int kBlockK = 256;  // QK_K, the K-quant super-block

// Q4_0: 32 weights as 4-bit q in 0..15 with one f16 scale; weight = (q - 8) * d (block_q4_0).
// Byte j holds element j in its low nibble and element j + 16 in its high nibble.
struct BlockQ4_0 {
  uint16_t d;
  uint8_t qs[kBlock32 / 2];
};
static_assert(sizeof(BlockQ4_0) == 18, "block_q4_0 is 18 bytes");

// Q4_1: 32 weights as 4-bit q in 0..15 with an f16 scale d and offset m; weight = q * d + m
// (block_q4_1). Nibbles as in Q4_0.
struct BlockQ4_1 {
  uint16_t d;
  uint16_t m;
  uint8_t qs[kBlock32 / 2];
};
static_assert(sizeof(BlockQ4_1) == 20, "block_q4_1 is 20 bytes");

// Q5_0: 32 weights as 5-bit q in 0..31 with one f16 scale; weight = (q - 16) * d (block_q5_0).
// The low 4 bits are nibbles as in Q4_0; bit j of the 32-bit qh is element j's fifth bit.
struct BlockQ5_0 {
  uint16_t d;
  uint8_t qh[4];
  uint8_t qs[kBlock32 / 2];
};
static_assert(sizeof(BlockQ5_0) == 22, "block_q5_0 is 22 bytes");

// Elements j and j + 16, each in -16..15.
inline void weights_at(const BlockQ5_0& block, int j, int& low, int& high) {
  uint32_t qh;
  std::memcpy(&qh, block.qh, sizeof qh);
  low = ((block.qs[j] & 0xF) | (((qh >> j) & 1) << 4)) - 16;
  high = ((block.qs[j] >> 4) | (((qh >> (j + 16)) & 1) << 4)) - 16;
}

// Q5_1: 32 weights as 5-bit q in 0..31 with an f16 scale d and offset m; weight = q * d + m
// (block_q5_1). Bits as in Q5_0.
struct BlockQ5_1 {
  uint16_t d;
  uint16_t m;
  uint8_t qh[4];
  uint8_t qs[kBlock32 / 2];
};
static_assert(sizeof(BlockQ5_1) == 24, "block_q5_1 is 24 bytes");

// Elements j and j + 16, each in 0..31.
inline void weights_at(const BlockQ5_1& block, int j, int& low, int& high) {
  uint32_t qh;
  std::memcpy(&qh, block.qh, sizeof qh);
  low = (block.qs[j] & 0xF) | (((qh >> j) & 1) << 4);
  high = (block.qs[j] >> 4) | (((qh >> (j + 16)) & 1) << 4);
}

// Q8_0: 32 int8 values and one f16 scale (block_q8_0). Both a weight format and the activation
// format that Q4_0, Q5_0 and Q8_0 weights dot against.
struct BlockQ8_0 {
  uint16_t d;  // f16 scale
  int8_t qs[kBlock32];
};
// Q8_1: Q8_0 plus s (block_q8_1). Only an activation format: the one Q4_1 and Q5_1 weights dot
// against.
struct BlockQ8_1 {
  uint16_t d;  // f16 scale
  uint16_t s;  // f16 of d * sum(qs), so that a weight block's offset m costs one multiply: m * s
  int8_t qs[kBlock32];
};
// Q8_K: 256 int8 values, an f32 scale and sums of 16 (block_q8_K). Only an activation format:
// the one all K-quant weights dot against.
struct BlockQ8_K {
  float d;  // f32 scale, unlike every other block
  int8_t qs[kBlockK];
  int16_t bsums[kBlockK / 16];  // sums of qs in groups of 16, for the K-quants' min terms
};
static_assert(sizeof(BlockQ8_0) == 34 && sizeof(BlockQ8_1) == 36 && sizeof(BlockQ8_K) == 292,
              "activation block layouts must match ggml-common.h");

// Q2_K: super-blocks of 256 weights in 16 groups of 16 (block_q2_K). Each group has a 4-bit
// scale and a 4-bit min (byte scales[g]: scale low nibble, min high nibble); weight =
// d * scale * q - dmin * min with q in 0..3. The 2-bit q are packed per 128-element half:
// byte l of the half's 32 holds elements l, l + 32, l + 64, l + 96 in bits 0-1, 2-3, 4-5, 6-7.
struct BlockQ2_K {
  uint8_t scales[kBlockK / 16];
  uint8_t qs[kBlockK / 4];
  uint16_t d;
  uint16_t dmin;
};
static_assert(sizeof(BlockQ2_K) == 84, "block_q2_K is 84 bytes");

// Element e's 2-bit q.
inline int quant_at(const BlockQ2_K& block, int e) {
  const int half = e / 128, shift = 2 * ((e % 128) / 32), l = e % 32;
  return (block.qs[32 * half + l] >> shift) & 3;
}

// Q3_K: super-blocks of 256 weights in 16 groups of 16 (block_q3_K); weight = d * (scale - 32)
// * q, with q in -4..3 and a 6-bit scale per group. q's low 2 bits are packed like Q2_K's; its
// high bit for element e is bit (e / 32) of hmask[e % 32], and q = low - 4 where that bit is
// clear. The 16 scales are packed into 12 bytes: see unpack_q3_k_scales.
struct BlockQ3_K {
  uint8_t hmask[kBlockK / 8];
  uint8_t qs[kBlockK / 4];
  uint8_t scales[12];
  uint16_t d;
};
static_assert(sizeof(BlockQ3_K) == 110, "block_q3_K is 110 bytes");

// Scale g (0..15), minus its offset 32: low 4 bits from the low (g < 8) or high (g >= 8) nibble
// of byte g % 8, high 2 bits from bits 2 * (g / 4) of byte 8 + g % 4.
inline void unpack_q3_k_scales(const uint8_t packed[12], int scales[16]) {
  for (int g = 0; g < 16; ++g) {
    const int low = g < 8 ? packed[g] & 0xF : packed[g - 8] >> 4;
    const int high = (packed[8 + g % 4] >> (2 * (g / 4))) & 3;
    scales[g] = (low | (high << 4)) - 32;
  }
}

// Element e's q in -4..3.
inline int quant_at(const BlockQ3_K& block, int e) {
  const int half = e / 128, j = (e % 128) / 32, l = e % 32;
  const int low = (block.qs[32 * half + l] >> (2 * j)) & 3;
  const bool high = block.hmask[l] & (1 << (e / 32));
  return high ? low : low - 4;
}

// The 6-bit scales and mins of Q4_K and Q5_K: 8 of each packed into 12 bytes (ggml's
// get_scale_min_k4). Sub-blocks 0-3 use the low 6 bits of bytes 0-3 (scales) and 4-7 (mins);
// sub-blocks 4-7 take their low 4 bits from bytes 8-11 and their top 2 bits from the top 2
// bits of bytes 0-3 (scales) and 4-7 (mins).
inline void unpack_k4_scales(const uint8_t packed[12], uint8_t scales[8], uint8_t mins[8]) {
  for (int j = 0; j < 4; ++j) {
    scales[j] = packed[j] & 63;
    mins[j] = packed[j + 4] & 63;
    scales[j + 4] = (packed[j + 8] & 0xF) | ((packed[j] >> 6) << 4);
    mins[j + 4] = (packed[j + 8] >> 4) | ((packed[j + 4] >> 6) << 4);
  }
}

// Q4_K: super-blocks of 256 weights in 8 sub-blocks of 32 (block_q4_K); weight =
// d * scale * q - dmin * min with q in 0..15 and a 6-bit scale and min per sub-block (packed
// as unpack_k4_scales says). Each 64 elements share 32 bytes: elements 0-31 in the low nibbles,
// 32-63 in the high ones.
struct BlockQ4_K {
  uint16_t d;
  uint16_t dmin;
  uint8_t scales[12];
  uint8_t qs[kBlockK / 2];
};
static_assert(sizeof(BlockQ4_K) == 144, "block_q4_K is 144 bytes");

// Element e's q in 0..15.
inline int quant_at(const BlockQ4_K& block, int e) {
  const uint8_t byte = block.qs[32 * (e / 64) + e % 32];
  return (e % 64) < 32 ? byte & 0xF : byte >> 4;
}

// Q5_K: Q4_K with a fifth bit (block_q5_K); weight = d * scale * q - dmin * min with q in 0..31.
// The low 4 bits are packed as in Q4_K; element e's fifth bit is bit (e / 32) of qh[e % 32].
struct BlockQ5_K {
  uint16_t d;
  uint16_t dmin;
  uint8_t scales[12];
  uint8_t qh[kBlockK / 8];
  uint8_t qs[kBlockK / 2];
};
static_assert(sizeof(BlockQ5_K) == 176, "block_q5_K is 176 bytes");

// Element e's q in 0..31.
inline int quant_at(const BlockQ5_K& block, int e) {
  const uint8_t byte = block.qs[32 * (e / 64) + e % 32];
  const int low = (e % 64) < 32 ? byte & 0xF : byte >> 4;
  return low + ((block.qh[e % 32] >> (e / 32)) & 1) * 16;
}

// Q6_K: super-blocks of 256 weights in 16 groups of 16 (block_q6_K); weight = d * scale * (q - 32)
// with q in 0..63 and a signed 8-bit scale per group. Per 128-element half, ql holds the low 4
// bits (64 bytes: elements 0-31 and 64-95 in low/high nibbles of bytes 0-31, elements 32-63 and
// 96-127 in those of bytes 32-63) and qh the high 2 bits (byte l: elements l, l + 32, l + 64,
// l + 96 in bits 0-1, 2-3, 4-5, 6-7).
struct BlockQ6_K {
  uint8_t ql[kBlockK / 2];
  uint8_t qh[kBlockK / 4];
  int8_t scales[kBlockK / 16];
  uint16_t d;
};
static_assert(sizeof(BlockQ6_K) == 210, "block_q6_K is 210 bytes");

// Element e's q - 32, in -32..31.
inline int quant_at(const BlockQ6_K& block, int e) {
  const int half = e / 128, j = (e % 128) / 32, l = e % 32;
  const uint8_t low_byte = block.ql[64 * half + 32 * (j % 2) + l];
  const int low = j < 2 ? low_byte & 0xF : low_byte >> 4;
  const int high = (block.qh[32 * half + l] >> (2 * j)) & 3;
  return (low | (high << 4)) - 32;
}

}  // namespace nt::quant
