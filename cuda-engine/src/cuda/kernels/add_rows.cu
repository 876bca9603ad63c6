// Biases: one row added to every row. (Residual connections are added by the products themselves:
// matmul_add.)
#include <algorithm>

#include "cuda/cuda_check.h"
#include "cuda/kernels/ops.h"

namespace nt::cuda {

namespace {

// x[i] += bias[i % n] for count elements.
__global__ void add_bias_kernel(float* __restrict__ x, const float* __restrict__ bias, int64_t count, int64_t n) {
  for (int64_t i = int64_t{blockIdx.x} * blockDim.x + threadIdx.x; i < count; i += int64_t{gridDim.x} * blockDim.x) {
    x[i] += bias[i % n];
  }
}

}  // namespace

void add_bias(float* rows, const float* bias, int64_t n_rows, int64_t n, cudaStream_t stream) {
  const int64_t count = n_rows * n;
  if (count <= 0) return;
  const int64_t blocks = std::min<int64_t>((count + 255) / 256, 65535);
  add_bias_kernel<<<static_cast<unsigned>(blocks), 256, 0, stream>>>(rows, bias, count, n);
  CUDA_CHECK_LAUNCH("add_bias_kernel");
}

}  // namespace nt::cuda
