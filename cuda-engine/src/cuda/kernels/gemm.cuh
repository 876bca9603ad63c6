// Tiled matrix products for prefill and batches: each block computes 128 weight rows × 64 tokens.
// Per 32-wide step of the reduction it dequantizes its 128 × 32 weight tile into shared memory as
// float (each thread one row's four 8-element parts, written transposed so that the compute loop
// reads both tiles as float4s), stages the 64 × 32 activation tile beside it, and each of its 128
// threads accumulates an 8 × 8 register block with float FMAs. Weights are then read once per 64
// tokens, which makes prefill compute-bound.
#pragma once

#include "cuda/cuda_check.h"
#include "cuda/kernels/matmul_args.h"

namespace nt::cuda {

namespace gemm_tile {
constexpr int kRows = 128;   // weight rows per block
constexpr int kTokens = 64;  // tokens per block
constexpr int kDepth = 32;   // reduction elements per step
constexpr int kThreads = 128;
constexpr int kTokenPad = 4;  // keeps float4 alignment, spreads the transposed stores over banks
}  // namespace gemm_tile

template <class Q>
__device__ void gemm_load_weights(const uint8_t* __restrict__ w, size_t row_bytes, int64_t rows, int64_t n,
                                  int64_t row0, int64_t k0, float (*ws)[gemm_tile::kRows]) {
  using namespace gemm_tile;
  constexpr int kParts = Q::kBlockElements / 8;
  const int r = threadIdx.x;  // kThreads == kRows: one row per thread
  const int64_t row = row0 + r;
#pragma unroll
  for (int i = 0; i < kDepth / 8; ++i) {
    const int64_t part = k0 / 8 + i;
    float v[8] = {0, 0, 0, 0, 0, 0, 0, 0};
    if (row < rows && 8 * part < n) {
      Q::dequantize8(w + row * row_bytes + (part / kParts) * Q::kBlockBytes, static_cast<int>(part % kParts), v);
    }
#pragma unroll
    for (int e = 0; e < 8; ++e) ws[8 * i + e][r] = v[e];
  }
}

__device__ inline void gemm_load_activations(const float* __restrict__ x, int64_t n, int64_t n_tokens, int64_t t0,
                                             int64_t k0, float (*xs)[gemm_tile::kTokens + gemm_tile::kTokenPad]) {
  using namespace gemm_tile;
  constexpr int kQuads = kDepth / 4;  // float4s per token row of the tile
#pragma unroll
  for (int i = 0; i < kTokens * kQuads / kThreads; ++i) {
    const int idx = threadIdx.x + kThreads * i;
    const int t = idx / kQuads, q = idx % kQuads;
    float4 v = make_float4(0, 0, 0, 0);
    if (t0 + t < n_tokens && k0 + 4 * q < n) v = *reinterpret_cast<const float4*>(x + (t0 + t) * n + k0 + 4 * q);
    xs[4 * q + 0][t] = v.x;
    xs[4 * q + 1][t] = v.y;
    xs[4 * q + 2][t] = v.z;
    xs[4 * q + 3][t] = v.w;
  }
}

template <class Q>
__global__ void __launch_bounds__(gemm_tile::kThreads)
    gemm_kernel(const uint8_t* __restrict__ w, size_t row_bytes, int64_t rows, int64_t n,
                const float* __restrict__ x, int64_t n_tokens, float* __restrict__ out, bool accumulate) {
  using namespace gemm_tile;
  __shared__ __align__(16) float ws[kDepth][kRows];
  __shared__ __align__(16) float xs[kDepth][kTokens + kTokenPad];
  const int64_t row0 = int64_t{blockIdx.x} * kRows, t0 = int64_t{blockIdx.y} * kTokens;
  // Thread (tx, ty) owns rows 4tx..4tx+3 and 64+4tx..64+4tx+3, tokens 4ty..4ty+3 and 32+4ty..32+4ty+3:
  // a warp's float4 reads of either tile are then conflict-free or broadcasts.
  const int tx = threadIdx.x % 16, ty = threadIdx.x / 16;
  float acc[8][8];
#pragma unroll
  for (int i = 0; i < 8; ++i)
#pragma unroll
    for (int j = 0; j < 8; ++j) acc[i][j] = 0.0f;

  for (int64_t k0 = 0; k0 < n; k0 += kDepth) {
    gemm_load_weights<Q>(w, row_bytes, rows, n, row0, k0, ws);
    gemm_load_activations(x, n, n_tokens, t0, k0, xs);
    __syncthreads();
#pragma unroll 4
    for (int kk = 0; kk < kDepth; ++kk) {
      const float4 a0 = *reinterpret_cast<const float4*>(&ws[kk][4 * tx]);
      const float4 a1 = *reinterpret_cast<const float4*>(&ws[kk][64 + 4 * tx]);
      const float4 b0 = *reinterpret_cast<const float4*>(&xs[kk][4 * ty]);
      const float4 b1 = *reinterpret_cast<const float4*>(&xs[kk][32 + 4 * ty]);
      const float a[8] = {a0.x, a0.y, a0.z, a0.w, a1.x, a1.y, a1.z, a1.w};
      const float b[8] = {b0.x, b0.y, b0.z, b0.w, b1.x, b1.y, b1.z, b1.w};
#pragma unroll
      for (int i = 0; i < 8; ++i)
#pragma unroll
        for (int j = 0; j < 8; ++j) acc[i][j] = fmaf(a[i], b[j], acc[i][j]);
    }
    __syncthreads();
  }

#pragma unroll
  for (int j = 0; j < 8; ++j) {
    const int64_t t = t0 + (j < 4 ? 4 * ty + j : 32 + 4 * ty + (j - 4));
    if (t >= n_tokens) continue;
#pragma unroll
    for (int i = 0; i < 8; ++i) {
      const int64_t r = row0 + (i < 4 ? 4 * tx + i : 64 + 4 * tx + (i - 4));
      if (r < rows) out[t * rows + r] = accumulate ? out[t * rows + r] + acc[i][j] : acc[i][j];
    }
  }
}

template <class Q>
void launch_gemm(const MatmulArgs& a, cudaStream_t stream) {
  using namespace gemm_tile;
  const dim3 grid(static_cast<unsigned>((a.rows + kRows - 1) / kRows),
                  static_cast<unsigned>((a.n_tokens + kTokens - 1) / kTokens));
  gemm_kernel<Q><<<grid, kThreads, 0, stream>>>(a.w, a.row_bytes, a.rows, a.n, a.x, a.n_tokens, a.out, a.accumulate);
  CUDA_CHECK_LAUNCH("gemm_kernel");
}

}  // namespace nt::cuda
