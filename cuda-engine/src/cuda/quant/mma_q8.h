// The 8-bit activations of the integer tensor-core GEMM and the float arithmetic that turns its
// integer sums into a product, shared by the kernels (cuda/kernels/mma_gemm.cuh) and their CPU
// reference so that the two agree bit for bit.
//
// Activations are quantized per 32 values the way ggml's quantize_row_q8_1_ref does (llama.cpp's
// MMQ does the same on the GPU): d = max|x| / 127, q = roundf(x / d) computed as roundf(x * (1 / d))
// (halves away from zero), so q equals what the CPU backend's reference Q8_0 / Q8_1 quantizers give.
// d stays a float (not f16), and the sums of q per 16 values are kept for the weights' offsets.
#pragma once

#include <cmath>
#include <cstdint>

#include "cuda/quant/mma_host_device.h"

namespace nt::cuda::mma {

// Float operations that no compiler may fuse or reorder: the kernels and the CPU reference
// must round identically (the CPU files that use them build with -ffp-contract=off).
NT_HD float mul_rn(float a, float b) {
#if defined(__CUDA_ARCH__)
  return __fmul_rn(a, b);
#else
  return a * b;
#endif
}
NT_HD float add_rn(float a, float b) {
#if defined(__CUDA_ARCH__)
  return __fadd_rn(a, b);
#else
  return a + b;
#endif
}
NT_HD float fma_rn(float a, float b, float c) {
#if defined(__CUDA_ARCH__)
  return __fmaf_rn(a, b, c);
#else
  return std::fma(a, b, c);
#endif
}

// Quantizes 32 floats: q[j], the scale d, and sums[h] = q[16h] + ... + q[16h + 15].
NT_HD void quantize_block32(const float* x, int8_t q[32], float& d, int32_t sums[2]) {
  float amax = 0.0f;
  for (int j = 0; j < 32; ++j) amax = fmaxf(amax, fabsf(x[j]));
  d = amax / 127.0f;
  const float id = d != 0.0f ? 1.0f / d : 0.0f;
  sums[0] = sums[1] = 0;
  for (int j = 0; j < 32; ++j) {
    q[j] = static_cast<int8_t>(roundf(mul_rn(x[j], id)));
    sums[j / 16] += q[j];
  }
}

// One 32-element step of a product: acc + dx * (sum over the step's groups of ws * sumi + wb * sx),
// where sumi is the integer dot of the weights' q with the activations' q over the group and sx the
// activations' sum over it. kGroup 32: sumi[0] covers all 32 (sumi[1] unused), sx[0] + sx[1] is the
// sum. kGroup 16: one term per half, added in order. kBias: the weights have offsets (wb).
template <int kGroup, bool kBias>
NT_HD float combine_step(float acc, float dx, const int32_t sumi[2], const float ws[2], const float wb[2],
                         const int32_t sx[2]) {
  float p;
  if constexpr (kGroup == 32) {
    p = mul_rn(ws[0], static_cast<float>(sumi[0]));
    if constexpr (kBias) p = add_rn(p, mul_rn(wb[0], static_cast<float>(sx[0] + sx[1])));
  } else {
    float p0 = mul_rn(ws[0], static_cast<float>(sumi[0]));
    float p1 = mul_rn(ws[1], static_cast<float>(sumi[1]));
    if constexpr (kBias) {
      p0 = add_rn(p0, mul_rn(wb[0], static_cast<float>(sx[0])));
      p1 = add_rn(p1, mul_rn(wb[1], static_cast<float>(sx[1])));
    }
    p = add_rn(p0, p1);
  }
  return fma_rn(dx, p, acc);
}

}  // namespace nt::cuda::mma
