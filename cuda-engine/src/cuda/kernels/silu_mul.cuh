// silu(g) * u rounded step by step as ops::swiglu: (g / (1 + e^-g)) * u. Shared by the SwiGLU
// kernel (swiglu.cu) and the fused gate/up product (matvec_fused.cuh), so the two agree bit for bit.
#pragma once

namespace nt::cuda {

__device__ __forceinline__ float silu_mul(float g, float u) {
  return __fmul_rn(__fdiv_rn(g, __fadd_rn(1.0f, expf(-g))), u);
}

}  // namespace nt::cuda
