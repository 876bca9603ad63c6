// Decode products fused with their neighbours (fused_matvec.h), built from matvec_blocks_kernel's
// pieces (matvec.cuh: blocks_warp_sums, row_sum) with its choice of threads per row
// (with_blocks_shape), so every row adds in the order matvec_blocks_kernel adds it: same bits.
//
// gate, up and SwiGLU: a CTA computes rows i.. of gate AND of up (half of the rows
// matvec_blocks_kernel's CTA takes, from each: the same registers and activation loads per CTA)
// and stores silu(g) * u (silu_mul.cuh, as swiglu.cu). One launch instead of two products on two
// streams and an elementwise kernel; the gate and up sums never go through memory.
//
// q, k and v: one grid over the three matrices' rows, CTAs of 128 threads. A matrix whose choice
// is 64 threads (one token of a K-quant on 2048 rows or more: q) runs two independent 64-thread
// groups per CTA, each as one matvec_blocks_kernel CTA of 4 rows; a 128-thread choice one group
// of 2 rows (a row's bits depend on the threads, not on the rows per CTA).
#pragma once

#include "cuda/cuda_check.h"
#include "cuda/kernels/matmul_args.h"
#include "cuda/kernels/matvec.cuh"
#include "cuda/kernels/silu_mul.cuh"

namespace nt::cuda {

template <class Q, int NT, int kRows, int kThreads>
__global__ void __launch_bounds__(kThreads)
    matvec_swiglu_kernel(const uint8_t* __restrict__ gate, const uint8_t* __restrict__ up, size_t row_bytes,
                         int64_t rows, int64_t n, const float* __restrict__ x, int n_tokens,
                         float* __restrict__ out) {
  constexpr int kWarps = kThreads / 32;
  const int64_t row0 = int64_t{blockIdx.x} * kRows;
  // Rows 0..kRows-1 of the group are gate's, kRows..2kRows-1 up's, for one call of matvec_part.
  const uint8_t* row_start[2 * kRows];
#pragma unroll
  for (int r = 0; r < kRows; ++r) {
    row_start[r] = clamped_row(gate, row_bytes, row0 + r, rows);
    row_start[kRows + r] = clamped_row(up, row_bytes, row0 + r, rows);
  }
  __shared__ float warp_sums[kWarps][2 * kRows][NT];
  blocks_warp_sums<Q, NT, 2 * kRows, kThreads>(threadIdx.x, row_start, n, x, n_tokens, warp_sums);
  __syncthreads();
  for (int i = threadIdx.x; i < kRows * NT; i += kThreads) {
    const int r = i / NT, t = i % NT;
    if (t >= n_tokens || row0 + r >= rows) continue;
    out[t * rows + row0 + r] = silu_mul(row_sum(warp_sums, r, t), row_sum(warp_sums, kRows + r, t));
  }
}

template <class Q, int NT>
struct SwigluLaunch {
  const SwigluArgs& a;
  cudaStream_t stream;
  template <int kRows, int kThreads>
  void run() const {
    constexpr int kHalf = kRows / 2;
    const unsigned blocks = static_cast<unsigned>((a.rows + kHalf - 1) / kHalf);
    matvec_swiglu_kernel<Q, NT, kHalf, kThreads><<<blocks, kThreads, 0, stream>>>(
        a.gate, a.up, a.row_bytes, a.rows, a.n, a.x, static_cast<int>(a.n_tokens), a.out);
    CUDA_CHECK_LAUNCH("matvec_swiglu_kernel");
  }
};

// The qkv kernel's CTA, and how its threads split into groups.
constexpr int kQkvThreads = 128;
template <int kThreads>
constexpr int kQkvGroupRows = kThreads == 64 ? 4 : 2;
template <int kThreads>
constexpr int64_t qkv_rows_per_cta() {
  return int64_t{kQkvGroupRows<kThreads>} * (kQkvThreads / kThreads);
}

// Group `threadIdx.x / kThreads` of CTA `cta` (counted within matrix m) computes its kRows rows.
template <class Q, int NT, int kThreads>
__device__ __forceinline__ void qkv_group(const QkvArgs& a, int m, int64_t cta) {
  constexpr int kRows = kQkvGroupRows<kThreads>, kGroups = kQkvThreads / kThreads, kWarps = kThreads / 32;
  const int group = threadIdx.x / kThreads, tid = threadIdx.x % kThreads;
  const int64_t rows = a.rows[m], row0 = (cta * kGroups + group) * kRows;
  const uint8_t* row_start[kRows];
#pragma unroll
  for (int r = 0; r < kRows; ++r) row_start[r] = clamped_row(a.w[m], a.row_bytes, row0 + r, rows);
  __shared__ float warp_sums[kGroups][kWarps][kRows][NT];
  blocks_warp_sums<Q, NT, kRows, kThreads>(tid, row_start, a.n, a.x, static_cast<int>(a.n_tokens), warp_sums[group]);
  __syncthreads();
  for (int i = tid; i < kRows * NT; i += kThreads) {
    const int r = i / NT, t = i % NT;
    if (t >= a.n_tokens || row0 + r >= rows) continue;
    a.out[m][t * rows + row0 + r] = row_sum(warp_sums[group], r, t);
  }
}

// CTAs [0, ctas_q) take q's rows, the next ctas_kv k's, the last ctas_kv v's (a CTA's branch
// depends on blockIdx only, so each __syncthreads is reached by the whole CTA).
template <class Q, int NT, int kThreadsQ, int kThreadsKv>
__global__ void __launch_bounds__(kQkvThreads) matvec_qkv_kernel(QkvArgs a, int64_t ctas_q, int64_t ctas_kv) {
  const int64_t cta = blockIdx.x;
  if (cta < ctas_q) return qkv_group<Q, NT, kThreadsQ>(a, 0, cta);
  const int m = cta < ctas_q + ctas_kv ? 1 : 2;
  qkv_group<Q, NT, kThreadsKv>(a, m, cta - ctas_q - (m - 1) * ctas_kv);
}

// with_blocks_shape's threads for a matrix of `rows` (the launcher records them).
struct ThreadsOf {
  int* threads;
  template <int kRows, int kThreads>
  void run() const {
    *threads = kThreads;
  }
};

template <class Q, int NT>
int blocks_threads(int64_t rows) {
  int threads = 0;
  with_blocks_shape<Q, NT>(rows, ThreadsOf{&threads});
  return threads;
}

template <class Q, int NT, int kThreadsQ, int kThreadsKv>
void launch_matvec_qkv_threads(const QkvArgs& a, cudaStream_t stream) {
  const int64_t ctas_q = (a.rows[0] + qkv_rows_per_cta<kThreadsQ>() - 1) / qkv_rows_per_cta<kThreadsQ>();
  const int64_t ctas_kv = (a.rows[1] + qkv_rows_per_cta<kThreadsKv>() - 1) / qkv_rows_per_cta<kThreadsKv>();
  const unsigned blocks = static_cast<unsigned>(ctas_q + 2 * ctas_kv);
  matvec_qkv_kernel<Q, NT, kThreadsQ, kThreadsKv><<<blocks, kQkvThreads, 0, stream>>>(a, ctas_q, ctas_kv);
  CUDA_CHECK_LAUNCH("matvec_qkv_kernel");
}

// with_blocks_shape chooses 64 threads only for one token of a 256-element format; every other
// instantiation has 128 for all three matrices.
template <class Q, int NT>
void launch_matvec_qkv_nt(const QkvArgs& a, cudaStream_t stream) {
  if constexpr (NT == 1 && Q::kBlockElements == 256) {
    const bool q64 = blocks_threads<Q, NT>(a.rows[0]) == 64, kv64 = blocks_threads<Q, NT>(a.rows[1]) == 64;
    if (q64 && kv64) return launch_matvec_qkv_threads<Q, NT, 64, 64>(a, stream);
    if (q64) return launch_matvec_qkv_threads<Q, NT, 64, 128>(a, stream);
    if (kv64) return launch_matvec_qkv_threads<Q, NT, 128, 64>(a, stream);
  }
  launch_matvec_qkv_threads<Q, NT, 128, 128>(a, stream);
}

// Token counts round up to 1, 2, 4 or 8, as launch_matvec's.
template <class Q>
void launch_matvec_swiglu(const SwigluArgs& a, cudaStream_t stream) {
  if (a.n_tokens <= 1) return with_blocks_shape<Q, 1>(a.rows, SwigluLaunch<Q, 1>{a, stream});
  if (a.n_tokens <= 2) return with_blocks_shape<Q, 2>(a.rows, SwigluLaunch<Q, 2>{a, stream});
  if (a.n_tokens <= 4) return with_blocks_shape<Q, 4>(a.rows, SwigluLaunch<Q, 4>{a, stream});
  with_blocks_shape<Q, 8>(a.rows, SwigluLaunch<Q, 8>{a, stream});
}

template <class Q>
void launch_matvec_qkv(const QkvArgs& a, cudaStream_t stream) {
  if (a.n_tokens <= 1) return launch_matvec_qkv_nt<Q, 1>(a, stream);
  if (a.n_tokens <= 2) return launch_matvec_qkv_nt<Q, 2>(a, stream);
  if (a.n_tokens <= 4) return launch_matvec_qkv_nt<Q, 4>(a, stream);
  launch_matvec_qkv_nt<Q, 8>(a, stream);
}

}  // namespace nt::cuda
