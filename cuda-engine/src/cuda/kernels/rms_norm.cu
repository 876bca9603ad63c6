// One block per token: the sum of squares in double (as ops::rms_norm and ggml), then the scale
// and the weight with the CPU's roundings (no fused multiply-add).
#include "cuda/cuda_check.h"
#include "cuda/kernels/ops.h"
#include "cuda/kernels/warp_sum.cuh"

namespace nt::cuda {

namespace {

constexpr int kThreads = 256;

__global__ void __launch_bounds__(kThreads)
    rms_norm_kernel(const float* __restrict__ x, const float* __restrict__ weight, int64_t n, float eps,
                    float* __restrict__ out) {
  const float* row = x + blockIdx.x * n;
  float* dst = out + blockIdx.x * n;
  double sum = 0.0;
  for (int64_t i = threadIdx.x; i < n; i += kThreads) sum += static_cast<double>(row[i]) * row[i];
  sum = warp_sum(sum);
  __shared__ double warp_sums[kThreads / 32];
  __shared__ float scale;
  if (threadIdx.x % 32 == 0) warp_sums[threadIdx.x / 32] = sum;
  __syncthreads();
  if (threadIdx.x == 0) {
    double total = 0.0;
    for (int w = 0; w < kThreads / 32; ++w) total += warp_sums[w];
    const float mean = static_cast<float>(total / n);
    scale = __fdiv_rn(1.0f, __fsqrt_rn(__fadd_rn(mean, eps)));
  }
  __syncthreads();
  for (int64_t i = threadIdx.x; i < n; i += kThreads) dst[i] = __fmul_rn(__fmul_rn(row[i], scale), weight[i]);
}

}  // namespace

void rms_norm(const float* x, const float* weight, int64_t n_tokens, int64_t n, float eps, float* out,
              cudaStream_t stream) {
  if (n_tokens <= 0) return;
  rms_norm_kernel<<<static_cast<unsigned>(n_tokens), kThreads, 0, stream>>>(x, weight, n, eps, out);
  CUDA_CHECK_LAUNCH("rms_norm_kernel");
}

}  // namespace nt::cuda
