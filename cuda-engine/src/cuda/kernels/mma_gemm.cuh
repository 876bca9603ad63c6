// Prefill and batched products on the integer tensor cores (mma.sync, sm_80 and later): the
// activations are quantized to 8 bits per 32 values (cuda/quant/mma_q8.h, as llama.cpp's MMQ and
// ggml's CPU dot products do), the weights unpacked to int8 tiles with a float scale and offset
// per group of 16 or 32 (cuda/quant/mma_unpack.h), and each 32-value step multiplies them with
// m16n8k32 (or two m16n8k16 for the formats whose scales cover 16 values) into int32 sums, which
// one float step per group turns into the product (mma::combine_factors). Accumulation order is
// fixed (32-value steps in order), so the result is deterministic and equals the CPU reference
// (test/cuda/matmul_mma_test.cc) bit for bit.
//
// Tiles (mma_tiles.h): a CTA of kWarpsM x kWarpsN warps computes kRows weight rows x kTokens
// tokens; per stage of kStage reduction values it copies the quantized activation tile into shared
// memory (cp.async) while it unpacks the weight tile there, with each row's and token's float
// factors per 32 values packed (mma::RowFactors, TokenFactors); then each warp computes its part
// with MMA tiles of 16 x 8 (fragments loaded by ldmatrix), loading a row's or token's factors once
// per 32-value step for all the MMA tiles that use them. The float step per output is the GEMM's
// cost beside the MMAs: the int32 sums start biased (mma::kSumBias) so that turning one into a
// float is one float addition, not the quarter-rate conversion; the fused step (NT_MMA_FUSED, on
// unless "0") folds that addition into the scale's multiplication, one fma (mma::combine_biased:
// the same results). A pipelined tile (kBuffers 2)
// holds two stages: the next stage's activations copy while this one computes, and one barrier per
// stage instead of two. choose_mma_tile picks the tile by token count and matrix size; every tile
// adds the same 32-value steps in the same order, so all equal the same reference. The staged
// 128 x 128 kernel (mma_gemm_staged.cuh) runs the same steps with its weight loads in flight
// during the MMAs; mma_gemm_launch.cuh launches them all.
#pragma once

#include <cuda_runtime_api.h>

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

// A 16-byte copy from global to shared memory that bypasses the registers (cp.async, sm_80): the
// stage's activation pieces are in flight while the thread unpacks its weights. Where in is false
// it writes 16 zero bytes and reads nothing (src points anywhere valid).
__device__ __forceinline__ void copy16_async(void* dst, const void* src, bool in) {
#if defined(__CUDA_ARCH__) && __CUDA_ARCH__ >= 800
  const unsigned shared = static_cast<unsigned>(__cvta_generic_to_shared(dst));
  asm volatile("cp.async.cg.shared.global [%0], [%1], 16, %2;" ::"r"(shared), "l"(src), "r"(in ? 16 : 0) : "memory");
#endif
}

// Waits for the thread's own copy16_async; a __syncthreads after it publishes all threads' copies.
__device__ __forceinline__ void wait_copies_async() {
#if defined(__CUDA_ARCH__) && __CUDA_ARCH__ >= 800
  asm volatile("cp.async.wait_all;" ::: "memory");
#endif
}

// Four 8 x 4-word matrices from shared memory into r[0..3] (ldmatrix .x4: mma_fragments.h says
// which row each lane points at and which word each register receives).
__device__ __forceinline__ void load_matrices_x4(uint32_t (&r)[4], const uint32_t* row) {
#if defined(__CUDA_ARCH__) && __CUDA_ARCH__ >= 800
  const unsigned shared = static_cast<unsigned>(__cvta_generic_to_shared(row));
  asm volatile("ldmatrix.sync.aligned.m8n8.x4.shared.b16 {%0,%1,%2,%3}, [%4];"
               : "=r"(r[0]), "=r"(r[1]), "=r"(r[2]), "=r"(r[3])
               : "r"(shared)
               : "memory");
#endif
}

// One 16 x 8 tile's integer sums over a 32-value step, each started at mma::kSumBias: c[0] from one
// m16n8k32 (kGroup 32), or c[0] and c[1] from two m16n8k16 over each half (kGroup 16); a and b are
// the A and B registers (mma_fragments.h).
template <int kGroup>
__device__ __forceinline__ void mma_biased_sums(int32_t (&c)[2][4], const uint32_t (&a)[4], const uint32_t (&b)[2]) {
#if defined(__CUDA_ARCH__) && __CUDA_ARCH__ >= 800
  const int32_t k = mma::kSumBias;
  if constexpr (kGroup == 32) {
    asm volatile(
        "mma.sync.aligned.m16n8k32.row.col.s32.s8.s8.s32 {%0,%1,%2,%3}, {%4,%5,%6,%7}, {%8,%9}, "
        "{%10,%10,%10,%10};"
        : "=r"(c[0][0]), "=r"(c[0][1]), "=r"(c[0][2]), "=r"(c[0][3])
        : "r"(a[0]), "r"(a[1]), "r"(a[2]), "r"(a[3]), "r"(b[0]), "r"(b[1]), "r"(k));
    c[1][0] = c[1][1] = c[1][2] = c[1][3] = k;  // unused
  } else {
#pragma unroll
    for (int h = 0; h < 2; ++h) {
      asm volatile("mma.sync.aligned.m16n8k16.row.col.s32.s8.s8.s32 {%0,%1,%2,%3}, {%4,%5}, {%6}, {%7,%7,%7,%7};"
                   : "=r"(c[h][0]), "=r"(c[h][1]), "=r"(c[h][2]), "=r"(c[h][3])
                   : "r"(a[2 * h]), "r"(a[2 * h + 1]), "r"(b[h]), "r"(k));
    }
  }
#endif
}

// One stage's shared memory: the 8-bit weight and activation tiles and their float factors per
// 32-value slice. kMmaTileSharedBytes (mma_tiles.h) counts it; a pipelined tile holds two.
template <class U, class T>
struct MmaStageTiles {
  alignas(16) uint32_t w_q[T::kRows][T::kWords];
  alignas(16) uint32_t x_q[T::kTokens][T::kWords];
  mma::RowFactors<U::kGroup, U::kBias> w_f[T::kRows][T::kSlices];
  mma::TokenFactors<U::kGroup, U::kBias> x_f[T::kTokens][T::kSlices];
};

// What every stage of one CTA reads: the matrix, the quantized activations and the CTA's corner.
struct MmaGemmArgs {
  const uint8_t* __restrict__ w;
  size_t row_bytes;
  int64_t rows, n;
  const int8_t* __restrict__ xq;
  const float* __restrict__ xd;
  const int32_t* __restrict__ xs;
  int64_t n_tokens, row0, t0;
};

// The stage's activation tile: 16-byte pieces of the token rows, copied asynchronously (the caller
// waits); past the matrix, zeros.
template <class U, class T>
__device__ __forceinline__ void mma_copy_activations(const MmaGemmArgs& g, int64_t k0, MmaStageTiles<U, T>& st) {
  for_each_piece<T::kTokens * (T::kStage / 16) / T::kThreads, T::kUnrollLoads>([&](int i) {
    const int u = threadIdx.x + i * T::kThreads;
    const int t = u / (T::kStage / 16), c = u % (T::kStage / 16);
    const int64_t e = k0 + 16 * c;
    const bool in = g.t0 + t < g.n_tokens && e < g.n;
    copy16_async(&st.x_q[t][4 * c], in ? g.xq + (g.t0 + t) * g.n + e : g.xq, in);
  });
}

// The stage's activation factors (scales and sums): unit u is token u / kSlices, 32-value slice
// u % kSlices; past the matrix, zeros.
template <class U, class T>
__device__ __forceinline__ void mma_load_token_factors(const MmaGemmArgs& g, int64_t k0, MmaStageTiles<U, T>& st) {
  constexpr int kSlices = T::kSlices;
  for_each_piece<T::kTokens * kSlices / T::kThreads, T::kUnrollLoads>([&](int i) {
    const int u = threadIdx.x + i * T::kThreads;
    const int t = u / kSlices, j = u % kSlices;
    const int64_t e = k0 + 32 * j, token = g.t0 + t;
    const bool in = token < g.n_tokens && e < g.n;
    const int32_t sx[2] = {in ? g.xs[token * (g.n / 16) + e / 16] : 0, in ? g.xs[token * (g.n / 16) + e / 16 + 1] : 0};
    st.x_f[t][j] = mma::token_factors<U::kGroup, U::kBias>(in ? g.xd[token * (g.n / 32) + e / 32] : 0.0f, sx);
  });
}

// One unpacked 32-value slice j of tile row r into the stage: its int8 values and float factors.
template <class U, class T>
__device__ __forceinline__ void mma_store_weight_unit(MmaStageTiles<U, T>& st, int r, int j, const uint32_t (&q)[8],
                                                      const float (&s)[2], const float (&b)[2]) {
  uint4* dst = reinterpret_cast<uint4*>(&st.w_q[r][8 * j]);  // 16-byte aligned: rows of kWords * 4 = 16 m bytes
  dst[0] = make_uint4(q[0], q[1], q[2], q[3]);
  dst[1] = make_uint4(q[4], q[5], q[6], q[7]);
  st.w_f[r][j] = mma::row_factors<U::kGroup, U::kBias>(s, b);
}

// The stage's activation factors and its weight tile, unpacked from memory: unit u is row
// u / kSlices, 32-value slice u % kSlices; past the matrix, zeros.
template <class U, class T>
__device__ __forceinline__ void mma_load_factors_and_weights(const MmaGemmArgs& g, int64_t k0,
                                                             MmaStageTiles<U, T>& st) {
  constexpr int kSlices = T::kSlices;
  mma_load_token_factors<U, T>(g, k0, st);
  for_each_piece<T::kRows * kSlices / T::kThreads, T::kUnrollLoads>([&](int i) {
    const int u = threadIdx.x + i * T::kThreads;
    const int r = u / kSlices, j = u % kSlices;
    const int64_t e = k0 + 32 * j;
    uint32_t q[8] = {0, 0, 0, 0, 0, 0, 0, 0};
    float s[2] = {0.0f, 0.0f}, b[2] = {0.0f, 0.0f};
    if (g.row0 + r < g.rows && e < g.n) {
      U::unpack32(g.w + (g.row0 + r) * g.row_bytes + (e / U::kBlockElements) * U::kBlockBytes,
                  static_cast<int>((e % U::kBlockElements) / 32), q, s, b);
    }
    mma_store_weight_unit<U, T>(st, r, j, q, s, b);
  });
}

// Whether tile T takes the fused float step where kFused asks for it: for sm_80, ptxas (nvcc 13,
// -Xptxas -v) spills 140 bytes per thread of the 128 x 128 tile's registers with it (Q4_K, Q5_K;
// 4 without), for sm_90 none, so the 128 x 128 tiles keep the earlier step below sm_90 (sm_86 and
// sm_89 have sm_80's 64K registers per SM). Either step gives the same results.
template <class T, bool kFused>
__device__ constexpr bool mma_fuses() {
#if defined(__CUDA_ARCH__) && __CUDA_ARCH__ < 900
  return kFused && T::kRows * T::kTokens < 128 * 128;
#else
  return kFused;
#endif
}

// The warp's MMAs and float steps over one stage: rows wr.., tokens wt.. of the tile. kFused: each
// sum's conversion and scaling in one fma (mma::combine_biased, the same results as
// mma::combine_factors in fewer float instructions, which bound the GEMM) where mma_fuses allows;
// else as before.
template <class U, class T, bool kFusedAsked>
__device__ __forceinline__ void mma_compute_stage(const MmaStageTiles<U, T>& st, int64_t k0, int64_t n, int wr,
                                                  int wt, int lane, float (&acc)[T::kMi][T::kNi][4]) {
  constexpr int kMi = T::kMi, kNi = T::kNi;
  constexpr bool kFused = mma_fuses<T, kFusedAsked>();
  using RowF = mma::RowFactors<U::kGroup, U::kBias>;
  using TokenF = mma::TokenFactors<U::kGroup, U::kBias>;
  for (int j = 0; j < T::kSlices; ++j) {
    if (k0 + 32 * j >= n) break;  // the same for the whole CTA
    // The warp's activation fragments, and the factors of the two tokens of each 8-token tile
    // this lane's accumulators hold (kernel_c_token: i & 1 picks one).
    // (The B registers of m16n8k32 and of the two m16n8k16 halves are the same words.)
    uint32_t b32[kNi][2];
    TokenF xf[kNi][2];
    if constexpr (kNi % 2 == 0) {
#pragma unroll
      for (int ni = 0; ni < kNi; ni += 2) {
        uint32_t r[4];
        load_matrices_x4(r, &st.x_q[wt + 8 * ni + mma::ldmatrix_b_token(lane)][8 * j + mma::ldmatrix_b_word(lane)]);
        b32[ni][0] = r[0], b32[ni][1] = r[1], b32[ni + 1][0] = r[2], b32[ni + 1][1] = r[3];
      }
    } else {
#pragma unroll
      for (int ni = 0; ni < kNi; ++ni) {
        const uint32_t* xrow = st.x_q[wt + 8 * ni + mma::kernel_b_token(lane)] + 8 * j;
        b32[ni][0] = xrow[mma::kernel_k32_b_word(lane, 0)];
        b32[ni][1] = xrow[mma::kernel_k32_b_word(lane, 1)];
      }
    }
#pragma unroll
    for (int ni = 0; ni < kNi; ++ni) {
      xf[ni][0] = st.x_f[wt + 8 * ni + mma::kernel_c_token(lane, 0)][j];
      xf[ni][1] = st.x_f[wt + 8 * ni + mma::kernel_c_token(lane, 1)][j];
    }
#pragma unroll
    for (int mi = 0; mi < kMi; ++mi) {
      // a[0], a[1]: rows 0-7 and 8-15 of the first 16 values; a[2], a[3]: of the second 16 (the
      // m16n8k32 registers, and the two m16n8k16 halves' pairs).
      uint32_t a[4];
      const int rbase = wr + 16 * mi;
      load_matrices_x4(a, &st.w_q[rbase + mma::ldmatrix_a_row(lane)][8 * j + mma::ldmatrix_a_word(lane)]);
      // The factors of this lane's two rows (kernel_c_row: i >> 1 picks one).
      const RowF wf[2] = {st.w_f[rbase + mma::kernel_c_row(lane, 0)][j], st.w_f[rbase + mma::kernel_c_row(lane, 2)][j]};
      // Their offsets for the fused step, once per row for all kNi tiles.
      const mma::RowOffsets<U::kGroup, U::kBias> nb[2] = {mma::row_offsets<U::kGroup, U::kBias>(wf[0]),
                                                           mma::row_offsets<U::kGroup, U::kBias>(wf[1])};
#pragma unroll
      for (int ni = 0; ni < kNi; ++ni) {
        // Started at kSumBias, so each sum turns into a float with one addition (mma_q8.h).
        int32_t c[2][4];
        if constexpr (kFused) {
          // The same sums, with the MMA's C operand (kSumBias) apart from its outputs, so that one
          // set of constant registers serves every MMA instead of four moves before each.
          mma_biased_sums<U::kGroup>(c, a, b32[ni]);
        } else {
#pragma unroll
          for (int i = 0; i < 4; ++i) c[0][i] = c[1][i] = mma::kSumBias;
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
        }
#pragma unroll
        for (int i = 0; i < 4; ++i) {
          if constexpr (kFused) {
            const int32_t ci[2] = {c[0][i], c[1][i]};
            acc[mi][ni][i] = mma::combine_biased<U::kGroup, U::kBias>(acc[mi][ni][i], xf[ni][i & 1], ci, wf[i >> 1],
                                                                      nb[i >> 1]);
          } else {
            const float sumf[2] = {mma::biased_sum_to_float(c[0][i]),
                                   U::kGroup == 32 ? 0.0f : mma::biased_sum_to_float(c[1][i])};
            acc[mi][ni][i] =
                mma::combine_factors<U::kGroup, U::kBias>(acc[mi][ni][i], xf[ni][i & 1], sumf, wf[i >> 1]);
          }
        }
      }
    }
  }
}

template <class U, class T, bool kFused>
__global__ void __launch_bounds__(T::kThreads, T::kMinCtas)
    mma_gemm_kernel(const uint8_t* __restrict__ w, size_t row_bytes, int64_t rows, int64_t n,
                    const int8_t* __restrict__ xq, const float* __restrict__ xd, const int32_t* __restrict__ xs,
                    int64_t n_tokens, float* __restrict__ out, bool accumulate) {
#if defined(__CUDA_ARCH__) && __CUDA_ARCH__ >= 800
  using Stage = MmaStageTiles<U, T>;
  __shared__ Stage stages[T::kBuffers];
  static_assert(sizeof(Stage) == kMmaTileSharedBytes<T, U::kGroup, U::kBias>,
                "mma_tiles.h counts this kernel's shared memory");
  static_assert(T::kBuffers * kMmaTileSharedBytes<T, U::kGroup, U::kBias> <= kMmaStaticSharedBytes,
                "static shared memory");
  // Token tiles are the grid's fast dimension: the CTAs that run together share weight rows, so a
  // matrix's bytes come from memory about once and the activations (a few MB) stay in L2.
  const MmaGemmArgs g{w, row_bytes, rows, n, xq, xd, xs, n_tokens, int64_t{blockIdx.y} * T::kRows,
                      int64_t{blockIdx.x} * T::kTokens};
  const int lane = threadIdx.x % 32, warp = threadIdx.x / 32;
  // The warp's rows and tokens in the tile.
  const int wr = T::kWarpRows * (warp % T::kWarpsM), wt = T::kWarpTokens * (warp / T::kWarpsM);
  float acc[T::kMi][T::kNi][4];
#pragma unroll
  for (int mi = 0; mi < T::kMi; ++mi)
#pragma unroll
    for (int ni = 0; ni < T::kNi; ++ni)
#pragma unroll
      for (int i = 0; i < 4; ++i) acc[mi][ni][i] = 0.0f;

  if constexpr (T::kBuffers == 1) {
    for (int64_t k0 = 0; k0 < n; k0 += T::kStage) {
      mma_copy_activations<U, T>(g, k0, stages[0]);
      mma_load_factors_and_weights<U, T>(g, k0, stages[0]);
      wait_copies_async();
      __syncthreads();
      mma_compute_stage<U, T, kFused>(stages[0], k0, n, wr, wt, lane, acc);
      __syncthreads();
    }
  } else {
    // The next stage's activations are in flight while this one computes; its weights are
    // unpacked into the other buffer after, and one barrier per stage publishes both.
    mma_copy_activations<U, T>(g, 0, stages[0]);
    mma_load_factors_and_weights<U, T>(g, 0, stages[0]);
    wait_copies_async();
    __syncthreads();
    int buffer = 0;
    for (int64_t k0 = 0; k0 < n; k0 += T::kStage) {
      const int64_t next = k0 + T::kStage;
      if (next < n) mma_copy_activations<U, T>(g, next, stages[buffer ^ 1]);
      mma_compute_stage<U, T, kFused>(stages[buffer], k0, n, wr, wt, lane, acc);
      if (next < n) mma_load_factors_and_weights<U, T>(g, next, stages[buffer ^ 1]);
      wait_copies_async();
      __syncthreads();
      buffer ^= 1;
    }
  }

  store_mma_tiles(acc, g.row0 + wr, g.t0 + wt, lane, rows, n_tokens, out, accumulate);
#else
  __trap();  // mma.sync with 8-bit integers needs sm_80; the dispatcher never launches this below it
#endif
}

}  // namespace nt::cuda
