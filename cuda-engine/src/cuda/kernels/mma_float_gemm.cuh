// Prefill and batched products of F16 and BF16 weights on the tensor cores (mma.sync m16n8k16,
// f32 accumulation, sm_80 and later). The activations are rounded to the weights' format first,
// as ggml's CPU backend does for these types (round to nearest even, cuda_fp16 / cuda_bf16's
// conversions), so every product of a weight and an activation is exact; only the accumulation
// differs from a float dot (the tensor cores add in their own order and precision, so there is no
// bit-exact reference: test/cuda/matmul_mma_test.cc bounds the error instead). F32 weights stay on
// the float GEMM (gemm.cuh): TF32 would round them.
//
// Tiles as the integer GEMM's prefill tile (mma_tiles.h): a CTA of 4 warps computes 64 rows x 64
// tokens, per 64-value stage it copies the weight tile (raw 16-bit values) and the rounded activation tile into
// shared memory, each warp computes 32 rows x 32 tokens; the fragment loads are the integer k32
// loads read as pairs of 16-bit values (mma_fragments.h).
#pragma once

#include <cuda_bf16.h>
#include <cuda_fp16.h>
#include <cuda_runtime_api.h>

#include "cuda/cuda_check.h"
#include "cuda/kernels/matmul_args.h"
#include "cuda/kernels/mma_float_tiles.h"
#include "cuda/kernels/mma_fragments.h"
#include "cuda/kernels/mma_store.cuh"

namespace nt::cuda {

namespace mma_float_tile {
constexpr int kRows = 64;
constexpr int kTokens = 64;
constexpr int kStage = 64;  // reduction values per stage: four m16n8k16 steps
constexpr int kThreads = 128;
constexpr int kWords = kStage / 2 + 4;  // 36 % 32 == 4: conflict-free fragment loads (as MmaTile::kWords)
}  // namespace mma_float_tile

template <bool kBf16>
__device__ __forceinline__ uint32_t round_pair(float lo, float hi) {
  if constexpr (kBf16) {
    const __nv_bfloat162 v = __floats2bfloat162_rn(lo, hi);  // .x = lo: the low 16 bits
    return *reinterpret_cast<const uint32_t*>(&v);
  } else {
    const __half2 v = __floats2half2_rn(lo, hi);
    return *reinterpret_cast<const uint32_t*>(&v);
  }
}

template <class T>
__global__ void __launch_bounds__(mma_float_tile::kThreads)
    mma_float_gemm_kernel(const uint8_t* __restrict__ w, size_t row_bytes, int64_t rows, int64_t n,
                          const float* __restrict__ x, int64_t n_tokens, float* __restrict__ out, bool accumulate) {
#if defined(__CUDA_ARCH__) && __CUDA_ARCH__ >= 800
  using namespace mma_float_tile;
  __shared__ __align__(16) uint32_t w_t[kRows][kWords];
  __shared__ __align__(16) uint32_t x_t[kTokens][kWords];
  const int64_t row0 = int64_t{blockIdx.x} * kRows, t0 = int64_t{blockIdx.y} * kTokens;
  const int lane = threadIdx.x % 32, warp = threadIdx.x / 32;
  const int wr = 32 * (warp % 2), wt = 32 * (warp / 2);
  float acc[2][4][4];
#pragma unroll
  for (int mi = 0; mi < 2; ++mi)
#pragma unroll
    for (int ni = 0; ni < 4; ++ni)
#pragma unroll
      for (int i = 0; i < 4; ++i) acc[mi][ni][i] = 0.0f;

  for (int64_t k0 = 0; k0 < n; k0 += kStage) {
    // 16-byte pieces (8 values): weight rows are 16-byte aligned (n is a multiple of 8, the tensor
    // 16-byte aligned), activation rows too (4n bytes). Past the matrix, zeros.
    for (int u = threadIdx.x; u < kRows * (kStage / 8); u += kThreads) {
      const int r = u / (kStage / 8), c = u % (kStage / 8);
      const int64_t e = k0 + 8 * c;
      uint4 v = make_uint4(0, 0, 0, 0);
      if (row0 + r < rows && e < n) v = *reinterpret_cast<const uint4*>(w + (row0 + r) * row_bytes + 2 * e);
      *reinterpret_cast<uint4*>(&w_t[r][4 * c]) = v;
    }
    for (int u = threadIdx.x; u < kTokens * (kStage / 8); u += kThreads) {
      const int t = u / (kStage / 8), c = u % (kStage / 8);
      const int64_t e = k0 + 8 * c;
      uint4 v = make_uint4(0, 0, 0, 0);
      if (t0 + t < n_tokens && e < n) {
        const float4* xp = reinterpret_cast<const float4*>(x + (t0 + t) * n + e);
        const float4 a = xp[0], b = xp[1];
        v = make_uint4(round_pair<T::kBf16>(a.x, a.y), round_pair<T::kBf16>(a.z, a.w), round_pair<T::kBf16>(b.x, b.y),
                       round_pair<T::kBf16>(b.z, b.w));
      }
      *reinterpret_cast<uint4*>(&x_t[t][4 * c]) = v;
    }
    __syncthreads();
#pragma unroll
    for (int kk = 0; kk < kStage / 16; ++kk) {
      uint32_t b[4][2];
#pragma unroll
      for (int ni = 0; ni < 4; ++ni) {
        const uint32_t* xrow = x_t[wt + 8 * ni + mma::kernel_b_token(lane)] + 8 * kk;
        b[ni][0] = xrow[mma::kernel_k32_b_word(lane, 0)];
        b[ni][1] = xrow[mma::kernel_k32_b_word(lane, 1)];
      }
#pragma unroll
      for (int mi = 0; mi < 2; ++mi) {
        uint32_t a[4];
#pragma unroll
        for (int r = 0; r < 4; ++r) {
          a[r] = w_t[wr + 16 * mi + mma::kernel_a_row(lane, r)][8 * kk + mma::kernel_k32_a_word(lane, r)];
        }
#pragma unroll
        for (int ni = 0; ni < 4; ++ni) {
          float* c = acc[mi][ni];
          if constexpr (T::kBf16) {
            asm volatile(
                "mma.sync.aligned.m16n8k16.row.col.f32.bf16.bf16.f32 {%0,%1,%2,%3}, {%4,%5,%6,%7}, {%8,%9}, "
                "{%0,%1,%2,%3};"
                : "+f"(c[0]), "+f"(c[1]), "+f"(c[2]), "+f"(c[3])
                : "r"(a[0]), "r"(a[1]), "r"(a[2]), "r"(a[3]), "r"(b[ni][0]), "r"(b[ni][1]));
          } else {
            asm volatile(
                "mma.sync.aligned.m16n8k16.row.col.f32.f16.f16.f32 {%0,%1,%2,%3}, {%4,%5,%6,%7}, {%8,%9}, "
                "{%0,%1,%2,%3};"
                : "+f"(c[0]), "+f"(c[1]), "+f"(c[2]), "+f"(c[3])
                : "r"(a[0]), "r"(a[1]), "r"(a[2]), "r"(a[3]), "r"(b[ni][0]), "r"(b[ni][1]));
          }
        }
      }
    }
    __syncthreads();
  }

  store_mma_tiles(acc, row0 + wr, t0 + wt, lane, rows, n_tokens, out, accumulate);
#else
  __trap();  // mma.sync on f16 / bf16 with f32 accumulation needs sm_80
#endif
}

template <class T>
void launch_mma_float_gemm(const MatmulArgs& a, cudaStream_t stream) {
  using namespace mma_float_tile;
  const dim3 grid(static_cast<unsigned>((a.rows + kRows - 1) / kRows),
                  static_cast<unsigned>((a.n_tokens + kTokens - 1) / kTokens));
  mma_float_gemm_kernel<T><<<grid, kThreads, 0, stream>>>(a.w, a.row_bytes, a.rows, a.n, a.x, a.n_tokens, a.out,
                                                           a.accumulate);
  CUDA_CHECK_LAUNCH("mma_float_gemm_kernel");
}

}  // namespace nt::cuda
