// One block per token (rope.cuh's rope_token).
#include "cuda/cuda_check.h"
#include "cuda/kernels/ops.h"
#include "cuda/kernels/rope.cuh"

namespace nt::cuda {

namespace {

constexpr int kThreads = 256;

__global__ void __launch_bounds__(kThreads)
    rope_kernel(float* __restrict__ q, float* __restrict__ k, const float* __restrict__ cos_sin, RopeShape s) {
  rope_token<kThreads>(q, k, cos_sin, s, blockIdx.x);
}

}  // namespace

void rope(float* q, float* k, const float* cos_sin, int64_t n_tokens, const RopeShape& shape, cudaStream_t stream) {
  if (n_tokens <= 0 || shape.rope_dim < 2) return;
  rope_kernel<<<static_cast<unsigned>(n_tokens), kThreads, 0, stream>>>(q, k, cos_sin, shape);
  CUDA_CHECK_LAUNCH("rope_kernel");
}

}  // namespace nt::cuda
