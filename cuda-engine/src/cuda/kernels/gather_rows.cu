// Keeps the rows of a pass that want logits (llama_forward.cc's keep_logit_rows), gathering into
// a separate buffer: in place, a block could overwrite a row another block has yet to read.
#include "cuda/cuda_check.h"
#include "cuda/kernels/ops.h"

namespace nt::cuda {

namespace {

__global__ void gather_rows_kernel(float* __restrict__ dst, const float* __restrict__ src,
                                   const int32_t* __restrict__ index, int64_t n) {
  const float* from = src + int64_t{index[blockIdx.x]} * n;
  float* to = dst + int64_t{blockIdx.x} * n;
  for (int64_t i = threadIdx.x; i < n; i += blockDim.x) to[i] = from[i];
}

}  // namespace

void gather_rows(float* dst, const float* src, const int32_t* index, int64_t n_rows, int64_t n, cudaStream_t stream) {
  if (n_rows <= 0) return;
  gather_rows_kernel<<<static_cast<unsigned>(n_rows), 256, 0, stream>>>(dst, src, index, n);
  CUDA_CHECK_LAUNCH("gather_rows_kernel");
}

}  // namespace nt::cuda
