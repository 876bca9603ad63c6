// What the integer tensor-core path (cuda/kernels/mma_gemm.cuh) shares between the GPU and its
// CPU tests: NT_HD marks a function both compilers build, and the bit conversions it needs.
// Plain C++ when not compiled by nvcc, so the CPU build's unit tests include these headers and
// check the same code the kernels run.
#pragma once

#include <cstdint>
#include <cstring>
#if !defined(__CUDA_ARCH__)
#include <stdexcept>
#endif

#if defined(__CUDACC__)
#define NT_HD __host__ __device__ __forceinline__
#else
#define NT_HD inline
#endif

namespace nt::cuda::mma {

NT_HD float float_from_bits(uint32_t bits) {
#if defined(__CUDA_ARCH__)
  return __uint_as_float(bits);
#else
  float f;
  std::memcpy(&f, &bits, sizeof f);
  return f;
#endif
}

// An f16 (IEEE binary16) as float, exactly: every f16 is a float.
NT_HD float half_to_float(uint32_t h) {
  const uint32_t sign = (h & 0x8000u) << 16, exponent = (h >> 10) & 0x1Fu, mantissa = h & 0x3FFu;
  if (exponent == 0x1F) return float_from_bits(sign | 0x7F800000u | (mantissa << 13));
  if (exponent != 0) return float_from_bits(sign | ((exponent + 112u) << 23) | (mantissa << 13));
  // Zero or subnormal: mantissa * 2^-24, exact in float.
  const float magnitude = static_cast<float>(mantissa) * 5.9604644775390625e-08f;
  return sign ? -magnitude : magnitude;
}

// Little-endian words of packed blocks, loaded as wide as the block's alignment allows on the GPU
// (a misaligned load would poison the CUDA context). On the CPU the same code checks that
// alignment, so the CPU tests (whose rows start 16-byte aligned, as the GPU's tensors must) catch
// an unpacker that would load misaligned on the GPU.
NT_HD void require_aligned(const uint8_t* p, unsigned alignment) {
#if !defined(__CUDA_ARCH__)
  if (reinterpret_cast<uintptr_t>(p) % alignment != 0) throw std::logic_error("misaligned block field load");
#else
  (void)p, (void)alignment;
#endif
}

// Four bytes at p, p 4-byte aligned.
NT_HD uint32_t load_u32(const uint8_t* p) {
  require_aligned(p, 4);
#if defined(__CUDA_ARCH__)
  return *reinterpret_cast<const uint32_t*>(p);
#else
  uint32_t v;
  std::memcpy(&v, p, sizeof v);
  return v;
#endif
}

// Four bytes at p, p only 2-byte aligned: two 2-byte loads.
NT_HD uint32_t load_u32_from_halves(const uint8_t* p) {
  require_aligned(p, 2);
#if defined(__CUDA_ARCH__)
  const uint16_t* h = reinterpret_cast<const uint16_t*>(p);
  return uint32_t{h[0]} | (uint32_t{h[1]} << 16);
#else
  uint32_t v;
  std::memcpy(&v, p, sizeof v);
  return v;
#endif
}

// Byte-wise x - c of four bytes, for bytes of x in 0..127 and of c in 0..128: each byte's result
// is its int8 two's complement (setting bit 7 first keeps borrows inside each byte).
NT_HD uint32_t sub_bytes(uint32_t x, uint32_t c) { return ((x | 0x80808080u) - c) ^ 0x80808080u; }

// Bit k (k = 0..3) of h (< 16) moved to bit 8k: four consecutive elements' fifth bits.
NT_HD uint32_t spread_bits4(uint32_t h) { return (h * 0x00204081u) & 0x01010101u; }

// The little-endian f16 at p (any alignment: blocks are packed).
NT_HD float half_at(const uint8_t* p) { return half_to_float(uint32_t{p[0]} | (uint32_t{p[1]} << 8)); }

}  // namespace nt::cuda::mma
