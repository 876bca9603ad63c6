// One block per token: its new key and value rows into its own sequence's cache, at its position,
// through its block table; an F16 cache rounds them to nearest even, as the CPU's does.
#include <cuda_fp16.h>

#include "cuda/cuda_check.h"
#include "cuda/kernels/ops.h"

namespace nt::cuda {

namespace {

constexpr int kThreads = 256;

__global__ void __launch_bounds__(kThreads)
    store_kv_kernel(const float* __restrict__ k, const float* __restrict__ v, const TokenCache* __restrict__ tokens,
                    KvLayout kv, int32_t layer, int64_t kv_dim) {
  const TokenCache tc = tokens[blockIdx.x];
  const int64_t offset = kv_row_offset(kv, kv.tables + int64_t{tc.table} * kv.table_width, layer, tc.pos);
  const float* k_src = k + int64_t{blockIdx.x} * kv_dim;
  const float* v_src = v + int64_t{blockIdx.x} * kv_dim;
  if (kv.f16) {
    __half* k_dst = reinterpret_cast<__half*>(kv.k + offset);
    __half* v_dst = reinterpret_cast<__half*>(kv.v + offset);
    for (int64_t i = threadIdx.x; i < kv_dim; i += kThreads) {
      k_dst[i] = __float2half_rn(k_src[i]);
      v_dst[i] = __float2half_rn(v_src[i]);
    }
    return;
  }
  float* k_dst = reinterpret_cast<float*>(kv.k + offset);
  float* v_dst = reinterpret_cast<float*>(kv.v + offset);
  for (int64_t i = threadIdx.x; i < kv_dim; i += kThreads) {
    k_dst[i] = k_src[i];
    v_dst[i] = v_src[i];
  }
}

}  // namespace

void store_kv(const float* k, const float* v, const TokenCache* tokens, const KvLayout& kv, int64_t n_tokens,
              int32_t layer, int64_t kv_dim, cudaStream_t stream) {
  if (n_tokens <= 0) return;
  store_kv_kernel<<<static_cast<unsigned>(n_tokens), kThreads, 0, stream>>>(k, v, tokens, kv, layer, kv_dim);
  CUDA_CHECK_LAUNCH("store_kv_kernel");
}

}  // namespace nt::cuda
