// One block per token, one thread per (head, rotated pair) of its q and k heads. The tables come
// from rope_table (backend/rope_table.h) on the host, and the rotation rounds as ops::rope does
// (no fused multiply-add), so rotated heads equal the CPU's bit for bit.
#include "cuda/cuda_check.h"
#include "cuda/kernels/ops.h"

namespace nt::cuda {

namespace {

constexpr int kThreads = 256;

__global__ void __launch_bounds__(kThreads)
    rope_kernel(float* __restrict__ q, float* __restrict__ k, const float* __restrict__ cos_sin, RopeShape s) {
  const int pairs = s.rope_dim / 2;
  const float* cos_t = cos_sin + int64_t{blockIdx.x} * 2 * pairs;
  const float* sin_t = cos_t + pairs;
  // Adjacent pairs (x[2i], x[2i+1]) for llama; x[i] with x[i + rope_dim/2] for qwen2 (NEOX).
  const bool adjacent = s.mode == RopeMode::Adjacent;
  const int total = (s.n_head + s.n_head_kv) * pairs;
  for (int idx = threadIdx.x; idx < total; idx += kThreads) {
    const int head = idx / pairs, i = idx % pairs;
    float* x = head < s.n_head ? q + (int64_t{blockIdx.x} * s.n_head + head) * s.head_dim
                               : k + (int64_t{blockIdx.x} * s.n_head_kv + (head - s.n_head)) * s.head_dim;
    const int a = adjacent ? 2 * i : i;
    const int b = adjacent ? a + 1 : a + pairs;
    const float x0 = x[a], x1 = x[b], c = cos_t[i], sn = sin_t[i];
    x[a] = __fsub_rn(__fmul_rn(x0, c), __fmul_rn(x1, sn));
    x[b] = __fadd_rn(__fmul_rn(x0, sn), __fmul_rn(x1, c));
  }
}

}  // namespace

void rope(float* q, float* k, const float* cos_sin, int64_t n_tokens, const RopeShape& shape, cudaStream_t stream) {
  if (n_tokens <= 0 || shape.rope_dim < 2) return;
  rope_kernel<<<static_cast<unsigned>(n_tokens), kThreads, 0, stream>>>(q, k, cos_sin, shape);
  CUDA_CHECK_LAUNCH("rope_kernel");
}

}  // namespace nt::cuda
