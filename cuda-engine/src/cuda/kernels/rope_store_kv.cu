// One block per token: RoPE on its q and k heads (rope.cuh), then its rotated key and its value
// into the cache (store_kv.cuh). The barrier between makes the block's rotated k, written to
// global memory by its own threads, visible to the threads that store it. Bit for bit the rope
// and store_kv kernels one after the other, in one launch.
#include "cuda/cuda_check.h"
#include "cuda/kernels/ops.h"
#include "cuda/kernels/rope.cuh"
#include "cuda/kernels/store_kv.cuh"

namespace nt::cuda {

namespace {

constexpr int kThreads = 256;

__global__ void __launch_bounds__(kThreads)
    rope_store_kv_kernel(float* q, float* k, const float* __restrict__ v, const float* __restrict__ cos_sin,
                         RopeShape s, const TokenCache* __restrict__ tokens, KvLayout kv, int32_t layer,
                         int64_t kv_dim) {
  if (s.rope_dim >= 2) rope_token<kThreads>(q, k, cos_sin, s, blockIdx.x);
  __syncthreads();
  store_token_kv<kThreads>(k, v, tokens, kv, layer, kv_dim, blockIdx.x);
}

}  // namespace

void rope_store_kv(float* q, float* k, const float* v, const float* cos_sin, const RopeShape& shape,
                   const TokenCache* tokens, const KvLayout& kv, int64_t n_tokens, int32_t layer, int64_t kv_dim,
                   cudaStream_t stream) {
  if (n_tokens <= 0) return;
  rope_store_kv_kernel<<<static_cast<unsigned>(n_tokens), kThreads, 0, stream>>>(q, k, v, cos_sin, shape, tokens, kv,
                                                                                 layer, kv_dim);
  CUDA_CHECK_LAUNCH("rope_store_kv_kernel");
}

}  // namespace nt::cuda
