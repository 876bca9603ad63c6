// gate = silu(gate) * up, rounded step by step as ops::swiglu (silu_mul.cuh).
#include <algorithm>

#include "cuda/cuda_check.h"
#include "cuda/kernels/ops.h"
#include "cuda/kernels/silu_mul.cuh"

namespace nt::cuda {

namespace {

__global__ void swiglu_kernel(float* __restrict__ gate, const float* __restrict__ up, int64_t count) {
  for (int64_t i = int64_t{blockIdx.x} * blockDim.x + threadIdx.x; i < count; i += int64_t{gridDim.x} * blockDim.x) {
    gate[i] = silu_mul(gate[i], up[i]);
  }
}

}  // namespace

void swiglu(float* gate, const float* up, int64_t count, cudaStream_t stream) {
  if (count <= 0) return;
  const int64_t blocks = std::min<int64_t>((count + 255) / 256, 65535);
  swiglu_kernel<<<static_cast<unsigned>(blocks), 256, 0, stream>>>(gate, up, count);
  CUDA_CHECK_LAUNCH("swiglu_kernel");
}

}  // namespace nt::cuda
