// Residual connections and biases: elementwise adds, the second operand either a whole tensor or
// one row repeated (a bias).
#include <algorithm>

#include "cuda/cuda_check.h"
#include "cuda/kernels/ops.h"

namespace nt::cuda {

namespace {

// x[i] += y[i % y_period]; y_period == count adds a whole tensor.
__global__ void add_kernel(float* __restrict__ x, const float* __restrict__ y, int64_t count, int64_t y_period) {
  for (int64_t i = int64_t{blockIdx.x} * blockDim.x + threadIdx.x; i < count; i += int64_t{gridDim.x} * blockDim.x) {
    x[i] += y[i % y_period];
  }
}

void launch_add(float* x, const float* y, int64_t count, int64_t y_period, cudaStream_t stream) {
  if (count <= 0) return;
  const int64_t blocks = std::min<int64_t>((count + 255) / 256, 65535);
  add_kernel<<<static_cast<unsigned>(blocks), 256, 0, stream>>>(x, y, count, y_period);
  CUDA_CHECK_LAUNCH("add_kernel");
}

}  // namespace

void add_in_place(float* x, const float* y, int64_t count, cudaStream_t stream) {
  launch_add(x, y, count, count, stream);
}

void add_bias(float* rows, const float* bias, int64_t n_rows, int64_t n, cudaStream_t stream) {
  launch_add(rows, bias, n_rows * n, n, stream);
}

}  // namespace nt::cuda
