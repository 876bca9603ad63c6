// One-token products (decode, up to 8 tokens) on 8-bit activations: the same activations and
// weight unpacking as the tensor-core GEMM (mma_gemm.cuh), dotted with dp4a (four int8 products
// per instruction) instead of dequantized to float. One warp per weight row; lane l takes the
// row's 32-value slices l, l + 32, ... (consecutive lanes, consecutive bytes), each slice's words
// loaded as wide as the block allows, and its integer sums turned into a float term with the
// GEMM's step (mma::combine_step). Lanes then add by a butterfly of shuffles (warp_sum).
//
// Matrices with too few rows to fill the GPU (a 4096-row projection is half a wave) also split
// the reduction across CTAs (q8_split.h): each split writes its partial sum, and a second kernel
// adds the splits in order, so the result stays deterministic. Every order is fixed, and the CPU
// reference (test/cuda_host/mma_reference.h) follows it bit for bit.
#pragma once

#include <cuda_runtime_api.h>

#include "cuda/cuda_check.h"
#include "cuda/kernels/matmul_args.h"
#include "cuda/kernels/q8_split.h"
#include "cuda/kernels/warp_sum.cuh"
#include "cuda/quant/mma_q8.h"
#include "cuda/quant/mma_unpack.h"

namespace nt::cuda {

// out (splits == 1) or partial[(split * n_tokens + t) * rows + r] (splits > 1).
template <class U, int NT>
__global__ void __launch_bounds__(32 * mma::kMatvecRowsPerCta)
    q8_matvec_kernel(const uint8_t* __restrict__ w, size_t row_bytes, int64_t rows, int64_t n,
                     const int8_t* __restrict__ xq, const float* __restrict__ xd, const int32_t* __restrict__ xs,
                     int n_tokens, int splits, float* __restrict__ partial, float* __restrict__ out, bool accumulate) {
  const int64_t row = int64_t{blockIdx.x} * mma::kMatvecRowsPerCta + threadIdx.x / 32;
  const int lane = threadIdx.x % 32;
  if (row >= rows) return;  // the whole warp: no block-wide synchronisation follows
  int64_t begin, end;
  mma::split_range(n / 32, splits, static_cast<int>(blockIdx.y), begin, end);
  const uint8_t* w_row = w + row * row_bytes;
  float acc[NT];
#pragma unroll
  for (int t = 0; t < NT; ++t) acc[t] = 0.0f;
  for (int64_t j = begin + lane; j < end; j += 32) {
    const int64_t e = 32 * j;
    uint32_t q[8];
    float ws[2], wb[2];
    U::unpack32(w_row + (e / U::kBlockElements) * U::kBlockBytes, static_cast<int>((e % U::kBlockElements) / 32), q,
                ws, wb);
#pragma unroll
    for (int t = 0; t < NT; ++t) {
      if (t >= n_tokens) break;
      const uint4* xp = reinterpret_cast<const uint4*>(xq + int64_t{t} * n + e);
      const uint4 a = __ldg(xp), b = __ldg(xp + 1);
      int32_t sumi[2];
      const int lo = __dp4a(static_cast<int>(q[3]), static_cast<int>(a.w),
                            __dp4a(static_cast<int>(q[2]), static_cast<int>(a.z),
                                   __dp4a(static_cast<int>(q[1]), static_cast<int>(a.y),
                                          __dp4a(static_cast<int>(q[0]), static_cast<int>(a.x), 0))));
      const int hi = __dp4a(static_cast<int>(q[7]), static_cast<int>(b.w),
                            __dp4a(static_cast<int>(q[6]), static_cast<int>(b.z),
                                   __dp4a(static_cast<int>(q[5]), static_cast<int>(b.y),
                                          __dp4a(static_cast<int>(q[4]), static_cast<int>(b.x), 0))));
      if constexpr (U::kGroup == 32) {
        sumi[0] = lo + hi;
        sumi[1] = 0;
      } else {
        sumi[0] = lo;
        sumi[1] = hi;
      }
      const int64_t slice = int64_t{t} * (n / 32) + j;
      const int32_t sx[2] = {__ldg(xs + 2 * slice), __ldg(xs + 2 * slice + 1)};
      acc[t] = mma::combine_step<U::kGroup, U::kBias>(acc[t], __ldg(xd + slice), sumi, ws, wb, sx);
    }
  }
#pragma unroll
  for (int t = 0; t < NT; ++t) {
    if (t >= n_tokens) break;
    const float s = warp_sum(acc[t]);
    if (lane != 0) continue;
    if (splits == 1) {
      float* dst = out + int64_t{t} * rows + row;
      *dst = accumulate ? *dst + s : s;
    } else {
      partial[(int64_t{blockIdx.y} * n_tokens + t) * rows + row] = s;
    }
  }
}

// out[i] (+)= partial[0][i] + partial[1][i] + ..., added in split order.
__global__ void q8_matvec_reduce_kernel(const float* __restrict__ partial, int splits, int64_t count,
                                        float* __restrict__ out, bool accumulate);

// The scratch for the activations and partial sums, from the stream's pool (mma_gemm.cuh's note).
void mma_quantize_activations(const MatmulArgs& a, int8_t*& q, float*& d, int32_t*& sums, void*& scratch,
                              cudaStream_t stream);
float* q8_matvec_partials(int splits, const MatmulArgs& a, cudaStream_t stream);
int q8_matvec_splits_for(const MatmulArgs& a);
void q8_matvec_reduce(const float* partial, int splits, const MatmulArgs& a, cudaStream_t stream);

template <class U, int NT>
void launch_q8_matvec_nt(const MatmulArgs& a, const int8_t* q, const float* d, const int32_t* sums, int splits,
                         float* partial, cudaStream_t stream) {
  const dim3 grid(static_cast<unsigned>((a.rows + mma::kMatvecRowsPerCta - 1) / mma::kMatvecRowsPerCta),
                  static_cast<unsigned>(splits));
  q8_matvec_kernel<U, NT><<<grid, 32 * mma::kMatvecRowsPerCta, 0, stream>>>(
      a.w, a.row_bytes, a.rows, a.n, q, d, sums, static_cast<int>(a.n_tokens), splits, partial, a.out, a.accumulate);
}

// Token counts round up to 1, 2, 4 or 8 instantiations (the extra tokens are skipped).
template <class U>
void launch_q8_matvec(const MatmulArgs& a, cudaStream_t stream) {
  int8_t* q;
  float* d;
  int32_t* sums;
  void* scratch;
  mma_quantize_activations(a, q, d, sums, scratch, stream);
  const int splits = q8_matvec_splits_for(a);
  float* partial = splits > 1 ? q8_matvec_partials(splits, a, stream) : nullptr;
  if (a.n_tokens <= 1) {
    launch_q8_matvec_nt<U, 1>(a, q, d, sums, splits, partial, stream);
  } else if (a.n_tokens <= 2) {
    launch_q8_matvec_nt<U, 2>(a, q, d, sums, splits, partial, stream);
  } else if (a.n_tokens <= 4) {
    launch_q8_matvec_nt<U, 4>(a, q, d, sums, splits, partial, stream);
  } else {
    launch_q8_matvec_nt<U, 8>(a, q, d, sums, splits, partial, stream);
  }
  const cudaError_t launched = cudaGetLastError();
  if (partial) q8_matvec_reduce(partial, splits, a, stream);
  CUDA_CHECK(cudaFreeAsync(scratch, stream));
  if (launched != cudaSuccess) CUDA_CHECK(launched);
}

}  // namespace nt::cuda
