// The forward pass's small GPU ops, each in its own .cu file named for what it computes, each the
// counterpart of a CPU op in src/cpu/ops (or of a step of cpu/llama_forward.cc) with the same float
// math where the CPU's is fixed. All pointers are device pointers; every launch goes on `stream`
// and throws EngineError NT_E_INTERNAL when it fails.
#pragma once

#include <cuda_runtime_api.h>

#include <cstdint>

#include "backend/rope_table.h"
#include "cuda/kernels/token_cache.h"

namespace nt::cuda {

// ops::rms_norm: out[t] = x[t] / sqrt(mean(x[t]^2) + eps) * weight, sum of squares in double.
void rms_norm(const float* x, const float* weight, int64_t n_tokens, int64_t n, float eps, float* out,
              cudaStream_t stream);

// ops::rope on the q heads and k heads of each token, with per-token tables made on the host by
// rope_table (backend/rope_table.h): cos_sin holds, per token, rope_dim / 2 cosines then rope_dim / 2 sines.
struct RopeShape {
  int32_t n_head, n_head_kv, head_dim, rope_dim;
  RopeMode mode;
};
void rope(float* q, float* k, const float* cos_sin, int64_t n_tokens, const RopeShape& shape, cudaStream_t stream);

// Copies each token's new key and value (kv_dim floats each) into its paged cache at (layer, pos).
void store_kv(const float* k, const float* v, const TokenCache* tokens, const KvLayout& kv, int64_t n_tokens,
              int32_t layer, int64_t kv_dim, cudaStream_t stream);

// rope, then store_kv, in one launch (decode's two per-layer steps between the q, k, v products
// and attention): the same results bit for bit.
void rope_store_kv(float* q, float* k, const float* v, const float* cos_sin, const RopeShape& shape,
                   const TokenCache* tokens, const KvLayout& kv, int64_t n_tokens, int32_t layer, int64_t kv_dim,
                   cudaStream_t stream);

// ops::swiglu: gate[i] = silu(gate[i]) * up[i].
void swiglu(float* gate, const float* up, int64_t count, cudaStream_t stream);

// rows[t * n + i] += bias[i] for n_rows rows (qwen2's Q, K and V biases).
void add_bias(float* rows, const float* bias, int64_t n_rows, int64_t n, cudaStream_t stream);

// dst row i = src row index[i], for n_rows rows of n floats; dst and src must not overlap.
void gather_rows(float* dst, const float* src, const int32_t* index, int64_t n_rows, int64_t n, cudaStream_t stream);

}  // namespace nt::cuda
