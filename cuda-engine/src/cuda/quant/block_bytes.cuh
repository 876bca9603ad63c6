// Device-side reads of GGUF block fields. Blocks are packed (18-, 22-, 110-, 210-byte blocks...),
// so a field is only as aligned as its offset and the block size allow: each format says how many
// bytes of alignment its 8-byte quant runs have (assuming the tensor starts 16-byte aligned,
// which the matmul launcher checks), and these helpers load with the widest access that allows.
#pragma once

#include <cuda_fp16.h>

#include <cstdint>

namespace nt::cuda::quant {

// Eight bytes at p, p aligned to kAlign (2, 4 or 8) bytes; byte i is (i < 4 ? x : y) >> 8*(i%4).
template <int kAlign>
__device__ __forceinline__ uint2 load8(const uint8_t* p) {
  if constexpr (kAlign >= 8) {
    return *reinterpret_cast<const uint2*>(p);
  } else if constexpr (kAlign >= 4) {
    const uint32_t* w = reinterpret_cast<const uint32_t*>(p);
    return make_uint2(w[0], w[1]);
  } else {
    const uint16_t* h = reinterpret_cast<const uint16_t*>(p);
    return make_uint2(h[0] | (uint32_t{h[1]} << 16), h[2] | (uint32_t{h[3]} << 16));
  }
}

// Eight bytes at p, p only 2-aligned (a Q6_K field), as two or three aligned 4-byte loads joined
// by funnel shifts: fewer load instructions than load8<2>'s four 2-byte loads. Reads at most the
// two bytes after p + 8, and only when p is not 4-aligned.
__device__ __forceinline__ uint2 load8_2aligned(const uint8_t* p) {
  const uintptr_t a = reinterpret_cast<uintptr_t>(p);
  const uint32_t* w = reinterpret_cast<const uint32_t*>(a & ~uintptr_t{3});
  const uint32_t shift = static_cast<uint32_t>(a & 2) * 8;  // 0 or 16
  const uint32_t w0 = __ldg(w), w1 = __ldg(w + 1);
  const uint32_t w2 = shift != 0 ? __ldg(w + 2) : 0u;
  return make_uint2(__funnelshift_r(w0, w1, shift), __funnelshift_r(w1, w2, shift));
}

// Byte k of `word` (k a runtime value 0..3) as a float, exactly, minus `bias`: one byte permute
// builds the bits of 2^23 + byte, one subtraction removes 2^23 + bias (see small_int_to_float).
__device__ __forceinline__ float byte_to_float(uint32_t word, uint32_t k, float bias = 0.0f) {
  return __int_as_float(__byte_perm(word, 0x4B000000u, 0x7440u | k)) - (8388608.0f + bias);
}

__device__ __forceinline__ uint32_t byte_at(uint2 bytes, int i) {
  return ((i < 4 ? bytes.x : bytes.y) >> (8 * (i & 3))) & 0xFFu;
}

// f16 and bf16 widen exactly, so these equal quant/half.h's fp16_to_fp32 / bf16_to_fp32 bit for bit.
__device__ __forceinline__ float f16_at(const uint8_t* p) {
  return __half2float(__ushort_as_half(*reinterpret_cast<const uint16_t*>(p)));
}
__device__ __forceinline__ float bf16_bits_to_float(uint32_t h) { return __uint_as_float(h << 16); }
__device__ __forceinline__ float f16_bits_to_float(uint32_t h) {
  return __half2float(__ushort_as_half(static_cast<unsigned short>(h)));
}

// Small integers to float without I2F, which issues at a quarter of the FP32 rate on sm_80/90 and
// was the decode kernels' bottleneck: 2^23 + u has u in its low mantissa bits, so subtracting
// 2^23 + bias leaves u - bias exactly (for 0 <= u < 2^23 and |u - bias| < 2^24).
__device__ __forceinline__ float small_int_to_float(uint32_t u, int bias = 0) {
  return __int_as_float(0x4B000000 | u) - (8388608.0f + static_cast<float>(bias));
}


// Four bytes at p, p only 2-aligned, as two 2-byte loads: reads no byte outside [p, p + 4).
__device__ __forceinline__ uint32_t load4_2aligned(const uint8_t* p) {
  const unsigned short* h = reinterpret_cast<const unsigned short*>(p);
  return uint32_t{__ldg(h)} | (uint32_t{__ldg(h + 1)} << 16);
}

// Eight bytes at p, p only 2-aligned, like load8_2aligned but reading no byte at or after p + 8
// (so safe for the last bytes of a block that may end the tensor): two aligned 4-byte loads, and
// when p is not 4-aligned a 2-byte load of bytes 6-7 (then it also reads the two bytes before p).
__device__ __forceinline__ uint2 load8_2aligned_to_end(const uint8_t* p) {
  const uintptr_t a = reinterpret_cast<uintptr_t>(p);
  const uint32_t* w = reinterpret_cast<const uint32_t*>(a & ~uintptr_t{3});
  const uint32_t shift = static_cast<uint32_t>(a & 2) * 8;  // 0 or 16
  const uint32_t w0 = __ldg(w), w1 = __ldg(w + 1);
  const uint32_t w2 = shift != 0 ? uint32_t{__ldg(reinterpret_cast<const unsigned short*>(w + 2))} : 0u;
  return make_uint2(__funnelshift_r(w0, w1, shift), __funnelshift_r(w1, w2, shift));
}

// Bit k (k = 0..3) of h (< 16) moved to bit 8k: the four fifth bits of Q5_0 / Q5_1 quants that
// sit in consecutive bytes. The four shifted copies of h occupy bits 0-3, 7-10, 14-17, 21-24: no
// carries, and bits 0, 8, 16, 24 of the sum are h's bits 0, 1, 2, 3.
__device__ __forceinline__ uint32_t spread_bits4(uint32_t h) { return (h * 0x00204081u) & 0x01010101u; }

// The matrix-vector kernel's share (matvec_part with kMatvecLanes = 4) of one lane in a 32-element
// block of a legacy format, for kRows rows and NT tokens (x[t]: the block's first activation):
// q[r][k] and q[r][4 + k] (k = 0..3) are the quants (minus any bias, exactly) of elements e0 + k
// and e1 + k (e0, e1 multiples of 4), d[r] the scale, m[r] the offset (kOffset: Q4_1, Q5_1).
// acc[r][t] += d * sum(q x) (+ m * sum(x)), rounded so that with one-hot x it equals the CPU's
// q * d (+ m) bit for bit: sum(q x) = q and sum(x) = 1 exactly, then one rounded multiply (fmaf
// onto an accumulator that is still +-0) or __fmul_rn, __fmul_rn, __fadd_rn as quant/dequantize.cc.
template <int NT, int kRows, bool kOffset>
__device__ __forceinline__ void legacy_matvec_dot(const float (&q)[kRows][8], const float (&d)[kRows],
                                                  const float (&m)[kRows], int e0, int e1,
                                                  const float* const (&x)[NT], float (&acc)[kRows][NT]) {
#pragma unroll
  for (int t = 0; t < NT; ++t) {
    const float4 a = __ldg(reinterpret_cast<const float4*>(x[t] + e0));
    const float4 b = __ldg(reinterpret_cast<const float4*>(x[t] + e1));
    float sum_x = 0.0f;
    if constexpr (kOffset) sum_x = ((((((a.x + a.y) + a.z) + a.w) + b.x) + b.y) + b.z) + b.w;
#pragma unroll
    for (int r = 0; r < kRows; ++r) {
      float s = 0.0f;
      s = fmaf(q[r][0], a.x, s);
      s = fmaf(q[r][1], a.y, s);
      s = fmaf(q[r][2], a.z, s);
      s = fmaf(q[r][3], a.w, s);
      s = fmaf(q[r][4], b.x, s);
      s = fmaf(q[r][5], b.y, s);
      s = fmaf(q[r][6], b.z, s);
      s = fmaf(q[r][7], b.w, s);
      if constexpr (kOffset) {
        acc[r][t] = __fadd_rn(acc[r][t], __fadd_rn(__fmul_rn(d[r], s), __fmul_rn(m[r], sum_x)));
      } else {
        acc[r][t] = fmaf(d[r], s, acc[r][t]);
      }
    }
  }
}

}  // namespace nt::cuda::quant
