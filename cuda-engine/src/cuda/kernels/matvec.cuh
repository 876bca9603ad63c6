// Matrix-vector products for decode (a few tokens): one warp per weight row (or per four). Lane l
// dequantizes 8-element parts l, l + 32, ... of the row, so a warp reads 32 consecutive parts (one K-quant
// super-block, or eight 32-element blocks) per step: consecutive lanes read consecutive bytes.
// Each part is multiplied with up to NT tokens' activations (float4 loads that hit L1/L2: all
// rows read the same activations), accumulated in float and reduced across the warp.
//
// Formats whose struct has matvec_part (the quantized ones: Q4_0, Q4_1, Q5_0, Q5_1, Q8_0, Q2_K,
// Q3_K, Q4_K, Q5_K, Q6_K) take matvec_blocks_kernel instead (below); F32, F16 and BF16 stay on this one.
#pragma once

#include <type_traits>

#include "cuda/cuda_check.h"
#include "cuda/kernels/matmul_args.h"
#include "cuda/kernels/warp_sum.cuh"

namespace nt::cuda {

constexpr int kMatvecWarpsPerBlock = 4;  // 128 threads keep many blocks resident

// Each warp computes kRows consecutive rows so that the activations it loads for a part (which
// every row reads: 16 KB per 4096-wide row against 2.3 KB of Q4_K weights) serve kRows rows;
// loading them per row made L1 bandwidth, not HBM, the limit.
template <class Q, int NT, int kRows>
__global__ void __launch_bounds__(32 * kMatvecWarpsPerBlock)
    matvec_kernel(const uint8_t* __restrict__ w, size_t row_bytes, int64_t rows, int64_t n,
                  const float* __restrict__ x, int n_tokens, float* __restrict__ out, bool accumulate) {
  constexpr int kParts = Q::kBlockElements / 8;  // a power of two
  const int64_t row0 = (int64_t{blockIdx.x} * kMatvecWarpsPerBlock + threadIdx.x / 32) * kRows;
  const int lane = threadIdx.x % 32;
  if (row0 >= rows) return;
  const int64_t n_parts = n / 8;
  float acc[kRows][NT];
#pragma unroll
  for (int r = 0; r < kRows; ++r)
#pragma unroll
    for (int t = 0; t < NT; ++t) acc[r][t] = 0.0f;
  for (int64_t p = lane; p < n_parts; p += 32) {
    float xv[NT][8];
#pragma unroll
    for (int t = 0; t < NT; ++t) {
      const float4* xp = reinterpret_cast<const float4*>(x + min(t, n_tokens - 1) * n + 8 * p);
      const float4 a = xp[0], b = xp[1];
      xv[t][0] = a.x, xv[t][1] = a.y, xv[t][2] = a.z, xv[t][3] = a.w;
      xv[t][4] = b.x, xv[t][5] = b.y, xv[t][6] = b.z, xv[t][7] = b.w;
    }
    const uint8_t* block = w + (p / kParts) * Q::kBlockBytes;
#pragma unroll
    for (int r = 0; r < kRows; ++r) {
      if (row0 + r >= rows) break;
      float wv[8];
      Q::dequantize8(block + (row0 + r) * row_bytes, static_cast<int>(p % kParts), wv);
#pragma unroll
      for (int t = 0; t < NT; ++t) {
        float s = acc[r][t];
#pragma unroll
        for (int i = 0; i < 8; ++i) s = fmaf(wv[i], xv[t][i], s);
        acc[r][t] = s;
      }
    }
  }
#pragma unroll
  for (int r = 0; r < kRows; ++r) {
#pragma unroll
    for (int t = 0; t < NT; ++t) {
      const float s = warp_sum(acc[r][t]);
      if (lane == 0 && t < n_tokens && row0 + r < rows) {
        float* dst = out + t * rows + row0 + r;
        *dst = accumulate ? *dst + s : s;
      }
    }
  }
}

template <class Q, int NT, int kRows>
void launch_matvec_rows(const MatmulArgs& a, cudaStream_t stream) {
  constexpr int kRowsPerBlock = kMatvecWarpsPerBlock * kRows;
  const unsigned blocks = static_cast<unsigned>((a.rows + kRowsPerBlock - 1) / kRowsPerBlock);
  matvec_kernel<Q, NT, kRows><<<blocks, 32 * kMatvecWarpsPerBlock, 0, stream>>>(
      a.w, a.row_bytes, a.rows, a.n, a.x, static_cast<int>(a.n_tokens), a.out, a.accumulate);
  CUDA_CHECK_LAUNCH("matvec_kernel");
}

// Several tokens on a large matrix: four rows per warp (measured on an H200, 14336 × 4096 Q4_K:
// 8 tokens 234 -> 349 GB/s). One token, or a small matrix (a GQA k/v projection): one row per
// warp, since there more warps in flight (more loads outstanding) win (1 token: 841 vs 724 GB/s).
template <class Q, int NT>
void launch_matvec_nt(const MatmulArgs& a, cudaStream_t stream) {
  if constexpr (NT >= 2) {
    if (a.rows >= 8192) return launch_matvec_rows<Q, NT, 4>(a, stream);
  }
  launch_matvec_rows<Q, NT, 1>(a, stream);
}

// Matrix-vector products for the formats with Q::matvec_part: a CTA of 128 threads computes kRows
// rows; its threads form slots of Q::kMatvecLanes lanes (8 for the K-quants' super-blocks, 4 for
// the 32-element legacy blocks), slot s takes blocks s, s + slots, ... of every row (a 4096-wide
// K-quant row's 16 super-blocks take one step), each lane its part of each (Q::matvec_part: one
// scale decode per sub-block, aligned loads, activations loaded once for the kRows rows). Partial sums reduce across the warp by
// shuffles and across the four warps through shared memory in a fixed order: deterministic, no
// atomics. Rows past the end repeat the last row (so every load is in bounds) and are not stored.
constexpr int kBlocksMatvecThreads = 128;

// The part of matvec_blocks_kernel that the fused decode kernels (matvec_fused.cuh) share: thread
// `tid` of a group of kThreads (a CTA, or half of one) accumulates its share of kRows rows
// (row_start[r]) against NT tokens' activations; the sums of each warp then go to warp_sums
// (lane 0 stores), for row_sum to add. Every row's arithmetic depends on kThreads only (which
// blocks a slot takes, how the warps add), not on kRows or on which rows share the group: so a
// fused kernel that keeps kThreads gives matvec_blocks_kernel's bits.
template <class Q, int NT, int kRows, int kThreads>
__device__ __forceinline__ void blocks_warp_sums(int tid, const uint8_t* const (&row_start)[kRows], int64_t n,
                                                 const float* __restrict__ x, int n_tokens,
                                                 float (&warp_sums)[kThreads / 32][kRows][NT]) {
  constexpr int kLanes = Q::kMatvecLanes;
  constexpr int kSlots = kThreads / kLanes;
  const int part = tid % kLanes;
  const int64_t n_blocks = n / Q::kBlockElements;
  const float* x_start[NT];
#pragma unroll
  for (int t = 0; t < NT; ++t) x_start[t] = x + int64_t{min(t, n_tokens - 1)} * n;
  float acc[kRows][NT];
#pragma unroll
  for (int r = 0; r < kRows; ++r)
#pragma unroll
    for (int t = 0; t < NT; ++t) acc[r][t] = 0.0f;
  for (int64_t b = tid / kLanes; b < n_blocks; b += kSlots) {
    const uint8_t* block[kRows];
#pragma unroll
    for (int r = 0; r < kRows; ++r) block[r] = row_start[r] + b * Q::kBlockBytes;
    const float* xb[NT];
#pragma unroll
    for (int t = 0; t < NT; ++t) xb[t] = x_start[t] + b * Q::kBlockElements;
    Q::template matvec_part<NT, kRows>(block, part, xb, acc);
  }
  const int lane = tid % 32, warp = tid / 32;
#pragma unroll
  for (int r = 0; r < kRows; ++r) {
#pragma unroll
    for (int t = 0; t < NT; ++t) {
      const float s = warp_sum(acc[r][t]);
      if (lane == 0) warp_sums[warp][r][t] = s;
    }
  }
}

// Row r's sum for token t once blocks_warp_sums' stores are visible (after __syncthreads): the
// warps' sums added in a fixed order.
template <int kWarps, int kRows, int NT>
__device__ __forceinline__ float row_sum(const float (&warp_sums)[kWarps][kRows][NT], int r, int t) {
  float s = warp_sums[0][r][t];
#pragma unroll
  for (int k = 1; k < kWarps; ++k) s += warp_sums[k][r][t];
  return s;
}

// Row `row` of a matrix of `rows`, clamped to the last (every load in bounds; not stored).
__device__ __forceinline__ const uint8_t* clamped_row(const uint8_t* w, size_t row_bytes, int64_t row, int64_t rows) {
  return w + (row < rows ? row : rows - 1) * row_bytes;
}

template <class Q, int NT, int kRows, int kThreads = kBlocksMatvecThreads>
__global__ void __launch_bounds__(kThreads)
    matvec_blocks_kernel(const uint8_t* __restrict__ w, size_t row_bytes, int64_t rows, int64_t n,
                         const float* __restrict__ x, int n_tokens, float* __restrict__ out, bool accumulate) {
  constexpr int kWarps = kThreads / 32;
  const int64_t row0 = int64_t{blockIdx.x} * kRows;
  const uint8_t* row_start[kRows];
#pragma unroll
  for (int r = 0; r < kRows; ++r) row_start[r] = clamped_row(w, row_bytes, row0 + r, rows);
  __shared__ float warp_sums[kWarps][kRows][NT];
  blocks_warp_sums<Q, NT, kRows, kThreads>(threadIdx.x, row_start, n, x, n_tokens, warp_sums);
  __syncthreads();
  for (int i = threadIdx.x; i < kRows * NT; i += kThreads) {
    const int r = i / NT, t = i % NT;
    if (t >= n_tokens || row0 + r >= rows) continue;
    const float s = row_sum(warp_sums, r, t);
    float* dst = out + t * rows + row0 + r;
    *dst = accumulate ? *dst + s : s;
  }
}

template <class Q, int NT, int kRows, int kThreads = kBlocksMatvecThreads>
void launch_matvec_blocks_rows(const MatmulArgs& a, cudaStream_t stream) {
  const unsigned blocks = static_cast<unsigned>((a.rows + kRows - 1) / kRows);
  matvec_blocks_kernel<Q, NT, kRows, kThreads><<<blocks, kThreads, 0, stream>>>(
      a.w, a.row_bytes, a.rows, a.n, a.x, static_cast<int>(a.n_tokens), a.out, a.accumulate);
  CUDA_CHECK_LAUNCH("matvec_blocks_kernel");
}

// Four rows per CTA share each activation load among more rows, but leave fewer CTAs: only for
// large matrices and one or two tokens (more tokens need the registers for their sums). One token
// of a K-quant (256-element super-blocks) on a 4096-row or larger matrix: four rows in CTAs of
// 64 threads, which keep more CTAs resident per SM (measured cold on an H200, matrices of a Llama
// 8B layer, test/cuda/matvec_shapes_speed_test.cu: Q4_K 4096 x 4096 0.98 -> 1.17 TB/s, 4096 x
// 14336 1.39 -> 1.81, Q6_K 4096 x 4096 1.32 -> 1.45; the legacy 32-element formats lose with it).
// `launch` is called as launch.template run<kRows, kThreads>(): the fused kernels
// (matvec_fused.cuh) take the same choice, since kThreads decides a row's bits.
template <class Q, int NT, class Launch>
void with_blocks_shape(int64_t rows, const Launch& launch) {
  if constexpr (NT == 1 && Q::kBlockElements == 256) {
    if (rows >= 2048) return launch.template run<4, 64>();
  }
  if constexpr (NT <= 2) {
    if (rows >= 8192) return launch.template run<4, kBlocksMatvecThreads>();
  }
  launch.template run<2, kBlocksMatvecThreads>();
}

template <class Q, int NT>
struct BlocksLaunch {
  const MatmulArgs& a;
  cudaStream_t stream;
  template <int kRows, int kThreads>
  void run() const {
    launch_matvec_blocks_rows<Q, NT, kRows, kThreads>(a, stream);
  }
};

template <class Q, int NT>
void launch_matvec_blocks(const MatmulArgs& a, cudaStream_t stream) {
  with_blocks_shape<Q, NT>(a.rows, BlocksLaunch<Q, NT>{a, stream});
}

template <class Q, class = void>
struct HasMatvecPart : std::false_type {};
template <class Q>
struct HasMatvecPart<Q, std::void_t<decltype(Q::kMatvecLanes)>> : std::true_type {};

template <class Q, int NT>
void launch_matvec_for(const MatmulArgs& a, cudaStream_t stream) {
  if constexpr (HasMatvecPart<Q>::value) {
    launch_matvec_blocks<Q, NT>(a, stream);
  } else {
    launch_matvec_nt<Q, NT>(a, stream);
  }
}

// Token counts round up to 1, 2, 4 or 8 (the extra tokens are skipped): four instantiations per
// format instead of eight, for compile time.
template <class Q>
void launch_matvec(const MatmulArgs& a, cudaStream_t stream) {
  if (a.n_tokens <= 1) return launch_matvec_for<Q, 1>(a, stream);
  if (a.n_tokens <= 2) return launch_matvec_for<Q, 2>(a, stream);
  if (a.n_tokens <= 4) return launch_matvec_for<Q, 4>(a, stream);
  return launch_matvec_for<Q, 8>(a, stream);
}

}  // namespace nt::cuda
