// Weight blocks as the integer tensor-core GEMM (cuda/kernels/mma_gemm.cuh) takes them: 32
// consecutive elements of a block as int8 q with, per group of kGroup elements (16 or 32), a
// float scale ws and offset wb such that weight = ws * q + wb, bit for bit the weight that
// quant/dequantize.cc computes (the same float products; wb = -min, so ws * q + wb rounds like
// scale * q - min). Integer sums of q times 8-bit activations then need one float scale per group.
//
// unpack32(block, sub, q, ws, wb): block is the block holding elements 32 * sub .. 32 * sub + 31
// (sub = 0 for the 32-element formats); q[w] packs elements 4w .. 4w + 3 as int8, little-endian
// (element i is byte i % 4 of q[i / 4]), the order the kernel's tiles keep; ws[h], wb[h] belong to
// elements 16h .. 16h + 15 (both halves the same where kGroup is 32).
//
// Quants are read as 32-bit words, as aligned as the block allows: rows start 16-byte aligned (the
// launcher checks) and blocks follow each other, so a block is gcd(block bytes, 16)-aligned (kAlign).
#pragma once

#include <cstdint>

#include "cuda/quant/mma_host_device.h"

namespace nt::cuda::mma {

// The words of n consecutive bytes at p (n a multiple of 4), p kAlign-aligned (2 or more).
template <int kAlign>
NT_HD uint32_t quant_word(const uint8_t* p) {
  if constexpr (kAlign >= 4) {
    return load_u32(p);
  } else {
    return load_u32_from_halves(p);
  }
}

struct UnpackQ4_0 {
  static constexpr int kBlockElements = 32, kBlockBytes = 18, kGroup = 32, kAlign = 2;
  static constexpr bool kBias = false;
  static NT_HD void unpack32(const uint8_t* b, int, uint32_t q[8], float ws[2], float wb[2]) {
    for (int k = 0; k < 4; ++k) {
      const uint32_t w = quant_word<kAlign>(b + 2 + 4 * k);  // elements 4k.. (low), 16 + 4k.. (high)
      q[k] = sub_bytes(w & 0x0F0F0F0Fu, 0x08080808u);
      q[4 + k] = sub_bytes((w >> 4) & 0x0F0F0F0Fu, 0x08080808u);
    }
    ws[0] = ws[1] = half_at(b);
    wb[0] = wb[1] = 0.0f;
  }
};

struct UnpackQ4_1 {
  static constexpr int kBlockElements = 32, kBlockBytes = 20, kGroup = 32, kAlign = 4;
  static constexpr bool kBias = true;
  static NT_HD void unpack32(const uint8_t* b, int, uint32_t q[8], float ws[2], float wb[2]) {
    for (int k = 0; k < 4; ++k) {
      const uint32_t w = quant_word<kAlign>(b + 4 + 4 * k);
      q[k] = w & 0x0F0F0F0Fu;
      q[4 + k] = (w >> 4) & 0x0F0F0F0Fu;
    }
    ws[0] = ws[1] = half_at(b);
    wb[0] = wb[1] = half_at(b + 2);
  }
};

// Q5_0 / Q5_1: nibbles as Q4_0's, and bit j of the little-endian 32-bit qh is element j's fifth
// bit; the result minus `bias` (16 or 0) in every byte.
template <int kAlign>
NT_HD void unpack_five_bits(const uint8_t* qh_bytes, const uint8_t* qs, uint32_t bias, uint32_t q[8]) {
  const uint32_t qh = quant_word<kAlign>(qh_bytes);
  for (int k = 0; k < 4; ++k) {
    const uint32_t w = quant_word<kAlign>(qs + 4 * k);
    q[k] = sub_bytes((w & 0x0F0F0F0Fu) | (spread_bits4((qh >> (4 * k)) & 0xF) << 4), bias);
    q[4 + k] = sub_bytes(((w >> 4) & 0x0F0F0F0Fu) | (spread_bits4((qh >> (16 + 4 * k)) & 0xF) << 4), bias);
  }
}

struct UnpackQ5_0 {
  static constexpr int kBlockElements = 32, kBlockBytes = 22, kGroup = 32, kAlign = 2;
  static constexpr bool kBias = false;
  static NT_HD void unpack32(const uint8_t* b, int, uint32_t q[8], float ws[2], float wb[2]) {
    unpack_five_bits<kAlign>(b + 2, b + 6, 0x10101010u, q);
    ws[0] = ws[1] = half_at(b);
    wb[0] = wb[1] = 0.0f;
  }
};

struct UnpackQ5_1 {
  static constexpr int kBlockElements = 32, kBlockBytes = 24, kGroup = 32, kAlign = 8;
  static constexpr bool kBias = true;
  static NT_HD void unpack32(const uint8_t* b, int, uint32_t q[8], float ws[2], float wb[2]) {
    unpack_five_bits<kAlign>(b + 4, b + 8, 0, q);
    ws[0] = ws[1] = half_at(b);
    wb[0] = wb[1] = half_at(b + 2);
  }
};

struct UnpackQ8_0 {
  static constexpr int kBlockElements = 32, kBlockBytes = 34, kGroup = 32, kAlign = 2;
  static constexpr bool kBias = false;
  static NT_HD void unpack32(const uint8_t* b, int, uint32_t q[8], float ws[2], float wb[2]) {
    for (int k = 0; k < 8; ++k) q[k] = quant_word<kAlign>(b + 2 + 4 * k);
    ws[0] = ws[1] = half_at(b);
    wb[0] = wb[1] = 0.0f;
  }
};

// Q2_K: 16 scale bytes (low nibble scale, high nibble min), 64 bytes of 2-bit q (per 128-element
// half, byte l holds elements l, l + 32, l + 64, l + 96), f16 d, f16 dmin.
struct UnpackQ2_K {
  static constexpr int kBlockElements = 256, kBlockBytes = 84, kGroup = 16, kAlign = 4;
  static constexpr bool kBias = true;
  static NT_HD void unpack32(const uint8_t* b, int sub, uint32_t q[8], float ws[2], float wb[2]) {
    const int half = sub / 4, shift = 2 * (sub % 4);
    for (int k = 0; k < 8; ++k) q[k] = (quant_word<kAlign>(b + 16 + 32 * half + 4 * k) >> shift) & 0x03030303u;
    const float d = half_at(b + 80), dmin = half_at(b + 82);
    for (int h = 0; h < 2; ++h) {
      const uint8_t sc = b[2 * sub + h];
      ws[h] = d * static_cast<float>(sc & 0xF);
      wb[h] = -(dmin * static_cast<float>(sc >> 4));
    }
  }
};

// Q3_K: 32 bytes hmask (element e's high bit: bit e / 32 of hmask[e % 32], q = low - 4 where it is
// clear), 64 bytes of low 2 bits packed as Q2_K's, 12 bytes of packed 6-bit scales, f16 d.
struct UnpackQ3_K {
  static constexpr int kBlockElements = 256, kBlockBytes = 110, kGroup = 16, kAlign = 2;
  static constexpr bool kBias = false;
  static NT_HD void unpack32(const uint8_t* b, int sub, uint32_t q[8], float ws[2], float wb[2]) {
    const int half = sub / 4, shift = 2 * (sub % 4);
    for (int k = 0; k < 8; ++k) {
      const uint32_t low = (quant_word<kAlign>(b + 32 + 32 * half + 4 * k) >> shift) & 0x03030303u;
      const uint32_t high = (quant_word<kAlign>(b + 4 * k) >> sub) & 0x01010101u;
      q[k] = sub_bytes(low, (high ^ 0x01010101u) << 2);
    }
    const float d = half_at(b + 108);
    const uint8_t* packed = b + 96;
    for (int h = 0; h < 2; ++h) {
      const int g = 2 * sub + h;
      const int low = g < 8 ? packed[g] & 0xF : packed[g - 8] >> 4;
      const int high = (packed[8 + g % 4] >> (2 * (g / 4))) & 3;
      ws[h] = d * static_cast<float>((low | (high << 4)) - 32);
      wb[h] = 0.0f;
    }
  }
};

// Q4_K / Q5_K scale and min of sub-block s (ggml's get_scale_min_k4).
NT_HD void k4_scale_min_of(const uint8_t* packed, int s, int& scale, int& min) {
  if (s < 4) {
    scale = packed[s] & 63;
    min = packed[s + 4] & 63;
  } else {
    scale = (packed[s + 4] & 0xF) | ((packed[s - 4] >> 6) << 4);
    min = (packed[s + 4] >> 4) | ((packed[s] >> 6) << 4);
  }
}

NT_HD void k4_group(const uint8_t* b, int sub, float ws[2], float wb[2]) {
  int scale, min;
  k4_scale_min_of(b + 4, sub, scale, min);
  ws[0] = ws[1] = half_at(b) * static_cast<float>(scale);
  wb[0] = wb[1] = -(half_at(b + 2) * static_cast<float>(min));
}

// Q4_K: f16 d, f16 dmin, 12 scale bytes, 128 bytes of nibbles (sub-blocks 2j and 2j + 1 in the
// low and high nibbles of bytes 32j .. 32j + 31).
struct UnpackQ4_K {
  static constexpr int kBlockElements = 256, kBlockBytes = 144, kGroup = 32, kAlign = 16;
  static constexpr bool kBias = true;
  static NT_HD void unpack32(const uint8_t* b, int sub, uint32_t q[8], float ws[2], float wb[2]) {
    const uint8_t* qs = b + 16 + 32 * (sub / 2);
    const int shift = 4 * (sub % 2);
    for (int k = 0; k < 8; ++k) q[k] = (quant_word<kAlign>(qs + 4 * k) >> shift) & 0x0F0F0F0Fu;
    k4_group(b, sub, ws, wb);
  }
};

// Q5_K: Q4_K's fields with 32 bytes of fifth bits (element e: bit e / 32 of qh[e % 32]) before qs.
struct UnpackQ5_K {
  static constexpr int kBlockElements = 256, kBlockBytes = 176, kGroup = 32, kAlign = 16;
  static constexpr bool kBias = true;
  static NT_HD void unpack32(const uint8_t* b, int sub, uint32_t q[8], float ws[2], float wb[2]) {
    const uint8_t* qs = b + 48 + 32 * (sub / 2);
    const int shift = 4 * (sub % 2);
    for (int k = 0; k < 8; ++k) {
      const uint32_t fifth = (quant_word<kAlign>(b + 16 + 4 * k) >> sub) & 0x01010101u;
      q[k] = ((quant_word<kAlign>(qs + 4 * k) >> shift) & 0x0F0F0F0Fu) | (fifth << 4);
    }
    k4_group(b, sub, ws, wb);
  }
};

// Q6_K: 128 bytes of low 4 bits, 64 bytes of high 2 bits, 16 signed scales, f16 d; per 128-element
// half, elements l, l + 32, l + 64, l + 96 take the low/high nibbles of ql[l], ql[l + 32] and bits
// 0-1, 2-3, 4-5, 6-7 of qh[l]; q - 32.
struct UnpackQ6_K {
  static constexpr int kBlockElements = 256, kBlockBytes = 210, kGroup = 16, kAlign = 2;
  static constexpr bool kBias = false;
  static NT_HD void unpack32(const uint8_t* b, int sub, uint32_t q[8], float ws[2], float wb[2]) {
    const int half = sub / 4, j = sub % 4;
    const uint8_t* ql = b + 64 * half + 32 * (j % 2);
    const uint8_t* qh = b + 128 + 32 * half;
    for (int k = 0; k < 8; ++k) {
      const uint32_t l = quant_word<kAlign>(ql + 4 * k);
      const uint32_t low = (j < 2 ? l : l >> 4) & 0x0F0F0F0Fu;
      const uint32_t high = ((quant_word<kAlign>(qh + 4 * k) >> (2 * j)) & 0x03030303u) << 4;
      q[k] = sub_bytes(low | high, 0x20202020u);
    }
    const float d = half_at(b + 208);
    for (int h = 0; h < 2; ++h) {
      ws[h] = d * static_cast<float>(static_cast<int8_t>(b[192 + 2 * sub + h]));
      wb[h] = 0.0f;
    }
  }
};

}  // namespace nt::cuda::mma
