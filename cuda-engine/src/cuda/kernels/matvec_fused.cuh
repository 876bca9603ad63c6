// Decode products fused with their neighbours (fused_matvec.h), built from matvec_blocks_kernel's
// pieces (matvec.cuh: blocks_warp_sums, row_sum) with its choice of threads per row
// (with_blocks_shape), so every row adds in the order matvec_blocks_kernel adds it: same bits.
//
// gate, up and SwiGLU: a CTA computes rows i.. of gate AND of up (half of the rows
// matvec_blocks_kernel's CTA takes, from each: the same registers and activation loads per CTA)
// and stores silu(g) * u (silu_mul.cuh, as swiglu.cu). One launch instead of two products on two
// streams and an elementwise kernel; the gate and up sums never go through memory.

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

// Token counts round up to 1, 2, 4 or 8, as launch_matvec's.
template <class Q>
void launch_matvec_swiglu(const SwigluArgs& a, cudaStream_t stream) {
  if (a.n_tokens <= 1) return with_blocks_shape<Q, 1>(a.rows, SwigluLaunch<Q, 1>{a, stream});
  if (a.n_tokens <= 2) return with_blocks_shape<Q, 2>(a.rows, SwigluLaunch<Q, 2>{a, stream});
  if (a.n_tokens <= 4) return with_blocks_shape<Q, 4>(a.rows, SwigluLaunch<Q, 4>{a, stream});
  with_blocks_shape<Q, 8>(a.rows, SwigluLaunch<Q, 8>{a, stream});
}

}  // namespace nt::cuda
