// Prefill and batched products on the integer tensor cores (mma.sync, sm_80 and later): the
// activations are quantized to 8 bits per 32 values (cuda/quant/mma_q8.h, as llama.cpp's MMQ and
// ggml's CPU dot products do), the weights unpacked to int8 tiles with a float scale and offset
// per group of 16 or 32 (cuda/quant/mma_unpack.h), and each 32-value step multiplies them with
// m16n8k32 (or two m16n8k16 for the formats whose scales cover 16 values) into int32 sums, which
// one float step per group turns into the product (mma::combine_step). Accumulation order is fixed
// (32-value steps in order), so the result is deterministic and equals the CPU reference
// (test/cuda/matmul_mma_test.cc) bit for bit.
//
// Tiles (MmaTile below): a CTA of 4 warps computes kRows weight rows x kTokens tokens; per stage of
// kStage reduction values it unpacks the weight tile and copies the quantized activation tile into
// shared memory, then each warp computes a quarter (2 x 2 warps) with MMA tiles of 16 x 8.
// Prefill (more than 32 tokens) takes 64 x 64 tiles; a few sequences decoding together (9 to 32
// tokens) take 32 rows x 16 or 32 tokens, so no MMA works on padding tokens and a 4096-row matrix
// still gives 128 CTAs, with 512-value stages to keep as many weight bytes in flight per CTA. Every
// tile adds the same 32-value steps in the same order, so all equal the same reference.
#pragma once

#include <cuda_runtime_api.h>

#include "cuda/cuda_check.h"
#include "cuda/kernels/matmul_args.h"
#include "cuda/kernels/mma_fragments.h"
#include "cuda/kernels/mma_store.cuh"
#include "cuda/kernels/mma_tiles.h"
#include "cuda/quant/mma_q8.h"
#include "cuda/quant/mma_unpack.h"

namespace nt::cuda {

// f(0), ..., f(kCount - 1), unrolled or not.
template <int kCount, bool kUnroll, class F>
__device__ __forceinline__ void for_each_piece(F&& f) {
  if constexpr (kUnroll) {
#pragma unroll
    for (int i = 0; i < kCount; ++i) f(i);
  } else {
#pragma unroll 1
    for (int i = 0; i < kCount; ++i) f(i);
  }
}

// x (n_tokens x n floats, n a multiple of 32) into q (n_tokens x n int8), d (one float per 32
// values) and sums (one int32 per 16 values), block b of all n_tokens * n / 32 at q + 32 b, d[b],
// sums[2b], sums[2b + 1].
__global__ void __launch_bounds__(128)
    mma_quantize_kernel(const float* __restrict__ x, int64_t n_blocks, int8_t* __restrict__ q, float* __restrict__ d,
                        int32_t* __restrict__ sums);

template <class U, class T>
__global__ void __launch_bounds__(T::kThreads, T::kMinCtas)
    mma_gemm_kernel(const uint8_t* __restrict__ w, size_t row_bytes, int64_t rows, int64_t n,
                    const int8_t* __restrict__ xq, const float* __restrict__ xd, const int32_t* __restrict__ xs,
                    int64_t n_tokens, float* __restrict__ out, bool accumulate) {
#if defined(__CUDA_ARCH__) && __CUDA_ARCH__ >= 800
  constexpr int kRows = T::kRows, kTokens = T::kTokens, kStage = T::kStage, kSlices = T::kSlices;
  constexpr int kThreads = T::kThreads, kWords = T::kWords, kMi = T::kMi, kNi = T::kNi;
  __shared__ __align__(16) uint32_t w_q[kRows][kWords];
  __shared__ __align__(16) uint32_t x_q[kTokens][kWords];
  __shared__ float w_scale[kRows][2 * kSlices];
  __shared__ float w_bias[U::kBias ? kRows : 1][2 * kSlices];
  __shared__ float x_d[kTokens][kSlices];
  __shared__ int32_t x_sum[kTokens][2 * kSlices];
  const int64_t row0 = int64_t{blockIdx.x} * kRows, t0 = int64_t{blockIdx.y} * kTokens;
  const int lane = threadIdx.x % 32, warp = threadIdx.x / 32;
  // The warp's rows and tokens in the tile.
  const int wr = (kRows / 2) * (warp % 2), wt = (kTokens / 2) * (warp / 2);
  float acc[kMi][kNi][4];
#pragma unroll
  for (int mi = 0; mi < kMi; ++mi)
#pragma unroll
    for (int ni = 0; ni < kNi; ++ni)
#pragma unroll
      for (int i = 0; i < 4; ++i) acc[mi][ni][i] = 0.0f;

  for (int64_t k0 = 0; k0 < n; k0 += kStage) {
    // Weights: unit u is row u / kSlices, 32-value slice u % kSlices; past the matrix, zeros.
    for_each_piece<kRows * kSlices / kThreads, T::kUnrollLoads>([&](int i) {
      const int u = threadIdx.x + i * kThreads;
      const int r = u / kSlices, j = u % kSlices;
      const int64_t e = k0 + 32 * j;
      uint32_t q[8] = {0, 0, 0, 0, 0, 0, 0, 0};
      float s[2] = {0.0f, 0.0f}, b[2] = {0.0f, 0.0f};
      if (row0 + r < rows && e < n) {
        U::unpack32(w + (row0 + r) * row_bytes + (e / U::kBlockElements) * U::kBlockBytes,
                    static_cast<int>((e % U::kBlockElements) / 32), q, s, b);
      }
      uint4* dst = reinterpret_cast<uint4*>(&w_q[r][8 * j]);  // 16-byte aligned: rows of kWords * 4 = 16 (2m + 1) bytes
      dst[0] = make_uint4(q[0], q[1], q[2], q[3]);
      dst[1] = make_uint4(q[4], q[5], q[6], q[7]);
      w_scale[r][2 * j] = s[0];
      w_scale[r][2 * j + 1] = s[1];
      if constexpr (U::kBias) {
        w_bias[r][2 * j] = b[0];
        w_bias[r][2 * j + 1] = b[1];
      }
    });
    // Activations: 16-byte pieces of the token rows, then the scales and sums.
    for_each_piece<kTokens * (kStage / 16) / kThreads, T::kUnrollLoads>([&](int i) {
      const int u = threadIdx.x + i * kThreads;
      const int t = u / (kStage / 16), c = u % (kStage / 16);
      const int64_t e = k0 + 16 * c;
      uint4 v = make_uint4(0, 0, 0, 0);
      if (t0 + t < n_tokens && e < n) v = *reinterpret_cast<const uint4*>(xq + (t0 + t) * n + e);
      *reinterpret_cast<uint4*>(&x_q[t][4 * c]) = v;
    });
    for_each_piece<kTokens * kSlices / kThreads, T::kUnrollLoads>([&](int i) {
      const int u = threadIdx.x + i * kThreads;
      const int t = u / kSlices, j = u % kSlices;
      const int64_t e = k0 + 32 * j;
      const bool in = t0 + t < n_tokens && e < n;
      x_d[t][j] = in ? xd[(t0 + t) * (n / 32) + e / 32] : 0.0f;
      x_sum[t][2 * j] = in ? xs[(t0 + t) * (n / 16) + e / 16] : 0;
      x_sum[t][2 * j + 1] = in ? xs[(t0 + t) * (n / 16) + e / 16 + 1] : 0;
    });
    __syncthreads();

    for (int j = 0; j < kSlices; ++j) {
      if (k0 + 32 * j >= n) break;  // the same for the whole CTA
      uint32_t b32[kNi][2];
#pragma unroll
      for (int ni = 0; ni < kNi; ++ni) {
        const uint32_t* xrow = x_q[wt + 8 * ni + mma::kernel_b_token(lane)] + 8 * j;
        if constexpr (U::kGroup == 32) {
          b32[ni][0] = xrow[mma::kernel_k32_b_word(lane, 0)];
          b32[ni][1] = xrow[mma::kernel_k32_b_word(lane, 1)];
        } else {
          b32[ni][0] = xrow[mma::kernel_k16_word(lane, 0)];
          b32[ni][1] = xrow[mma::kernel_k16_word(lane, 1)];
        }
      }
#pragma unroll
      for (int mi = 0; mi < kMi; ++mi) {
        uint32_t a[4];
        const int rbase = wr + 16 * mi;
#pragma unroll
        for (int r = 0; r < 4; ++r) {
          if constexpr (U::kGroup == 32) {
            a[r] = w_q[rbase + mma::kernel_a_row(lane, r)][8 * j + mma::kernel_k32_a_word(lane, r)];
          } else {
            // a[0], a[1]: the first half's two registers; a[2], a[3]: the second half's.
            a[r] = w_q[rbase + mma::kernel_a_row(lane, r & 1)][8 * j + mma::kernel_k16_word(lane, r >> 1)];
          }
        }
#pragma unroll
        for (int ni = 0; ni < kNi; ++ni) {
          int32_t c[2][4] = {{0, 0, 0, 0}, {0, 0, 0, 0}};
          if constexpr (U::kGroup == 32) {
            asm volatile(
                "mma.sync.aligned.m16n8k32.row.col.s32.s8.s8.s32 {%0,%1,%2,%3}, {%4,%5,%6,%7}, {%8,%9}, "
                "{%0,%1,%2,%3};"
                : "+r"(c[0][0]), "+r"(c[0][1]), "+r"(c[0][2]), "+r"(c[0][3])
                : "r"(a[0]), "r"(a[1]), "r"(a[2]), "r"(a[3]), "r"(b32[ni][0]), "r"(b32[ni][1]));
          } else {
#pragma unroll
            for (int h = 0; h < 2; ++h) {
              asm volatile(
                  "mma.sync.aligned.m16n8k16.row.col.s32.s8.s8.s32 {%0,%1,%2,%3}, {%4,%5}, {%6}, {%0,%1,%2,%3};"
                  : "+r"(c[h][0]), "+r"(c[h][1]), "+r"(c[h][2]), "+r"(c[h][3])
                  : "r"(a[2 * h]), "r"(a[2 * h + 1]), "r"(b32[ni][h]));
            }
          }
#pragma unroll
          for (int i = 0; i < 4; ++i) {
            const int r = rbase + mma::kernel_c_row(lane, i);
            const int t = wt + 8 * ni + mma::kernel_c_token(lane, i);
            const int32_t sumi[2] = {c[0][i], c[1][i]};
            const float s[2] = {w_scale[r][2 * j], w_scale[r][2 * j + 1]};
            float b[2] = {0.0f, 0.0f};
            if constexpr (U::kBias) b[0] = w_bias[r][2 * j], b[1] = w_bias[r][2 * j + 1];
            const int32_t sx[2] = {x_sum[t][2 * j], x_sum[t][2 * j + 1]};
            acc[mi][ni][i] = mma::combine_step<U::kGroup, U::kBias>(acc[mi][ni][i], x_d[t][j], sumi, s, b, sx);
          }
        }
      }
    }
    __syncthreads();
  }

  store_mma_tiles(acc, row0 + wr, t0 + wt, lane, rows, n_tokens, out, accumulate);
#else
  __trap();  // mma.sync with 8-bit integers needs sm_80; the dispatcher never launches this below it
#endif
}

// Quantizes a.x into stream-ordered scratch (cudaMallocAsync from the device's pool: no device
// synchronisation, and each call has its own, so products on two streams cannot share it);
// launch_mma_gemm runs the GEMM and frees the scratch behind it. a.n must be a multiple of 32
// (every quantized format's is).
void mma_quantize_activations(const MatmulArgs& a, int8_t*& q, float*& d, int32_t*& sums, void*& scratch,
                              cudaStream_t stream);

template <class U, class T>
void launch_mma_gemm_tile(const MatmulArgs& a, const int8_t* q, const float* d, const int32_t* sums,
                          cudaStream_t stream) {
  const dim3 grid(static_cast<unsigned>((a.rows + T::kRows - 1) / T::kRows),
                  static_cast<unsigned>((a.n_tokens + T::kTokens - 1) / T::kTokens));
  mma_gemm_kernel<U, T><<<grid, T::kThreads, 0, stream>>>(a.w, a.row_bytes, a.rows, a.n, q, d, sums, a.n_tokens,
                                                           a.out, a.accumulate);
}

// Up to 16 tokens on 32 x 16 tiles, up to 32 on 32 x 32, more on 64 x 64.
template <class U>
void launch_mma_gemm(const MatmulArgs& a, cudaStream_t stream) {
  int8_t* q;
  float* d;
  int32_t* sums;
  void* scratch;
  mma_quantize_activations(a, q, d, sums, scratch, stream);
  if (a.n_tokens <= Batch16Tile::kTokens) {
    launch_mma_gemm_tile<U, Batch16Tile>(a, q, d, sums, stream);
  } else if (a.n_tokens <= Batch32Tile::kTokens) {
    launch_mma_gemm_tile<U, Batch32Tile>(a, q, d, sums, stream);
  } else {
    launch_mma_gemm_tile<U, PrefillTile>(a, q, d, sums, stream);
  }
  const cudaError_t launched = cudaGetLastError();
  CUDA_CHECK(cudaFreeAsync(scratch, stream));
  if (launched != cudaSuccess) CUDA_CHECK(launched);
}

}  // namespace nt::cuda
