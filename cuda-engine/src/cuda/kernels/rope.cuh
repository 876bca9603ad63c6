// One token's RoPE on its q and k heads, by a block of kThreads threads (one per head and rotated
// pair, looping): the body of rope.cu's kernel, shared with the fused rope + store_kv kernel
// (rope_store_kv.cu). The tables come from rope_table (backend/rope_table.h) on the host, and the
// rotation rounds as ops::rope does (no fused multiply-add), so rotated heads equal the CPU's bit
// for bit.
#pragma once

#include <cstdint>

#include "cuda/kernels/ops.h"

namespace nt::cuda {

template <int kThreads>
__device__ __forceinline__ void rope_token(float* __restrict__ q, float* __restrict__ k,
                                           const float* __restrict__ cos_sin, const RopeShape& s, int64_t token) {
  const int pairs = s.rope_dim / 2;
  const float* cos_t = cos_sin + token * 2 * pairs;
  const float* sin_t = cos_t + pairs;
  // Adjacent pairs (x[2i], x[2i+1]) for llama; x[i] with x[i + rope_dim/2] for qwen2 (NEOX).
  const bool adjacent = s.mode == RopeMode::Adjacent;
  const int total = (s.n_head + s.n_head_kv) * pairs;
  for (int idx = threadIdx.x; idx < total; idx += kThreads) {
    const int head = idx / pairs, i = idx % pairs;
    float* x = head < s.n_head ? q + (token * s.n_head + head) * s.head_dim
                               : k + (token * s.n_head_kv + (head - s.n_head)) * s.head_dim;
    const int a = adjacent ? 2 * i : i;
    const int b = adjacent ? a + 1 : a + pairs;
    const float x0 = x[a], x1 = x[b], c = cos_t[i], sn = sin_t[i];
    x[a] = __fsub_rn(__fmul_rn(x0, c), __fmul_rn(x1, sn));
    x[b] = __fadd_rn(__fmul_rn(x0, sn), __fmul_rn(x1, c));
  }
}

}  // namespace nt::cuda
