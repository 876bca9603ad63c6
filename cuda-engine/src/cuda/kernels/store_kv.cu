// One block per token (store_kv.cuh's store_token_kv).
#include "cuda/cuda_check.h"
#include "cuda/kernels/ops.h"
#include "cuda/kernels/store_kv.cuh"

namespace nt::cuda {

namespace {

constexpr int kThreads = 256;

__global__ void __launch_bounds__(kThreads)
    store_kv_kernel(const float* __restrict__ k, const float* __restrict__ v, const TokenCache* __restrict__ tokens,
                    KvLayout kv, int32_t layer, int64_t kv_dim) {
  store_token_kv<kThreads>(k, v, tokens, kv, layer, kv_dim, blockIdx.x);
}

}  // namespace

void store_kv(const float* k, const float* v, const TokenCache* tokens, const KvLayout& kv, int64_t n_tokens,
              int32_t layer, int64_t kv_dim, cudaStream_t stream) {
  if (n_tokens <= 0) return;
  store_kv_kernel<<<static_cast<unsigned>(n_tokens), kThreads, 0, stream>>>(k, v, tokens, kv, layer, kv_dim);
  CUDA_CHECK_LAUNCH("store_kv_kernel");
}

}  // namespace nt::cuda
