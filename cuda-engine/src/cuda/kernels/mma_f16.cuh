// F16 tensor-core helpers shared by flash attention's prefill (flash_attention.cu) and the decode
// attention (decode_attention.cu): packing two values into an F16 pair and one mma.sync
// m16n8k16 with F16 inputs and F32 sums (fragment layouts: cuda/kernels/mma_fragments.h).
#pragma once

#include <cuda_fp16.h>

#include <cstdint>

namespace nt::cuda {

__device__ inline uint32_t half2_bits(float lo, float hi) {
  const __half2 h = __floats2half2_rn(lo, hi);  // lo in the low 16 bits: the lower column
  return *reinterpret_cast<const uint32_t*>(&h);
}

__device__ inline uint32_t half2_bits(__half lo, __half hi) {
  const __half2 h = __halves2half2(lo, hi);
  return *reinterpret_cast<const uint32_t*>(&h);
}

__device__ inline void mma_f16(float (&c)[4], const uint32_t (&a)[4], uint32_t b0, uint32_t b1) {
#if defined(__CUDA_ARCH__) && __CUDA_ARCH__ >= 800
  asm volatile(
      "mma.sync.aligned.m16n8k16.row.col.f32.f16.f16.f32 {%0,%1,%2,%3}, {%4,%5,%6,%7}, {%8,%9}, {%0,%1,%2,%3};"
      : "+f"(c[0]), "+f"(c[1]), "+f"(c[2]), "+f"(c[3])
      : "r"(a[0]), "r"(a[1]), "r"(a[2]), "r"(a[3]), "r"(b0), "r"(b1));
#else
  __trap();  // mma.sync on f16 with f32 accumulation needs sm_80
#endif
}

}  // namespace nt::cuda
