// The integer tensor-core GEMM's launchers (mma_gemm.cuh, mma_gemm_staged.cuh): the activations
// quantized into stream-ordered scratch, then the kernel of the tile choose_mma_tile takes.
#pragma once

#include <cuda_runtime_api.h>

#include "cuda/cuda_check.h"
#include "cuda/kernels/matmul_args.h"
#include "cuda/kernels/mma_gemm.cuh"
#include "cuda/kernels/mma_gemm_staged.cuh"
#include "cuda/kernels/mma_tiles.h"

namespace nt::cuda {

// Quantizes a.x into stream-ordered scratch (cudaMallocAsync from the device's pool: no device
// synchronisation, and each call has its own, so products on two streams cannot share it);
// launch_mma_gemm runs the GEMM and frees the scratch behind it. a.n must be a multiple of 32
// (every quantized format's is).
void mma_quantize_activations(const MatmulArgs& a, int8_t*& q, float*& d, int32_t*& sums, void*& scratch,
                              cudaStream_t stream);

// The tile choose_mma_tile (mma_tiles.h) takes for this product on the current device, with
// NT_MMA_TILE read per call (matmul_mma.cu).
MmaTileKind mma_gemm_tile(const MatmulArgs& a, bool large_fits);

// Whether the GEMM takes the fused epilogue (mma_fused_epilogue, mma_tiles.h), with NT_MMA_FUSED
// read per call (matmul_mma.cu).
bool mma_gemm_fused();

template <class U, class T>
void launch_mma_gemm_tile(const MatmulArgs& a, const int8_t* q, const float* d, const int32_t* sums,
                          cudaStream_t stream) {
  const dim3 grid(static_cast<unsigned>((a.n_tokens + T::kTokens - 1) / T::kTokens),
                  static_cast<unsigned>((a.rows + T::kRows - 1) / T::kRows));
  if (mma_gemm_fused()) {
    mma_gemm_kernel<U, T, true><<<grid, T::kThreads, 0, stream>>>(a.w, a.row_bytes, a.rows, a.n, q, d, sums,
                                                                   a.n_tokens, a.out, a.accumulate);
  } else {
    mma_gemm_kernel<U, T, false><<<grid, T::kThreads, 0, stream>>>(a.w, a.row_bytes, a.rows, a.n, q, d, sums,
                                                                    a.n_tokens, a.out, a.accumulate);
  }
}

// The staged kernel (mma_gemm_staged.cuh) on LargeTile, with its dynamic shared memory allowed.
template <class U, bool kFused>
void launch_mma_gemm_staged(const MatmulArgs& a, const int8_t* q, const float* d, const int32_t* sums,
                            cudaStream_t stream) {
  using T = LargeTile;
  constexpr int kBytes = MmaRawStage<U, T>::kSharedBytes;
  static_assert(kBytes <= kMmaDynamicSharedBytes, "every GPU from sm_80 gives a CTA this much");
  const dim3 grid(static_cast<unsigned>((a.n_tokens + T::kTokens - 1) / T::kTokens),
                  static_cast<unsigned>((a.rows + T::kRows - 1) / T::kRows));
  // Per call: the attribute belongs to the current device, and costs little beside the GEMM.
  CUDA_CHECK(cudaFuncSetAttribute(reinterpret_cast<const void*>(&mma_gemm_staged_kernel<U, T, kFused>),
                                  cudaFuncAttributeMaxDynamicSharedMemorySize, kBytes));
  mma_gemm_staged_kernel<U, T, kFused><<<grid, T::kThreads, kBytes, stream>>>(a.w, a.row_bytes, a.rows, a.n, q, d,
                                                                               sums, a.n_tokens, a.out, a.accumulate);
}

template <class U>
void launch_mma_gemm(const MatmulArgs& a, cudaStream_t stream) {
  constexpr bool kLargeFits = kMmaTileSharedBytes<LargeTile, U::kGroup, U::kBias> <= kMmaStaticSharedBytes;
  static_assert(kLargeFits == (2 * kMmaTileSharedBytes<LargePipeTile, U::kGroup, U::kBias> <= kMmaStaticSharedBytes),
                "both 128 x 128 tiles fit the same weight formats");
  int8_t* q;
  float* d;
  int32_t* sums;
  void* scratch;
  mma_quantize_activations(a, q, d, sums, scratch, stream);
  const MmaTileKind tile = mma_gemm_tile(a, kLargeFits);
  switch (tile) {
    case MmaTileKind::kLarge128Staged:
      if (mma_gemm_fused()) {
        launch_mma_gemm_staged<U, true>(a, q, d, sums, stream);
      } else {
        launch_mma_gemm_staged<U, false>(a, q, d, sums, stream);
      }
      break;
    case MmaTileKind::kBatch16: launch_mma_gemm_tile<U, Batch16Tile>(a, q, d, sums, stream); break;
    case MmaTileKind::kBatch32: launch_mma_gemm_tile<U, Batch32Tile>(a, q, d, sums, stream); break;
    case MmaTileKind::kPrefill64: launch_mma_gemm_tile<U, PrefillTile>(a, q, d, sums, stream); break;
    case MmaTileKind::kWide128x64: launch_mma_gemm_tile<U, WideTile>(a, q, d, sums, stream); break;
    case MmaTileKind::kLarge128:
    case MmaTileKind::kLarge128Pipelined:
      // Not chosen where they do not fit (choose_mma_tile knows); 64 x 64 keeps the switch whole.
      if constexpr (!kLargeFits) {
        launch_mma_gemm_tile<U, PrefillTile>(a, q, d, sums, stream);
      } else if (tile == MmaTileKind::kLarge128) {
        launch_mma_gemm_tile<U, LargeTile>(a, q, d, sums, stream);
      } else {
        launch_mma_gemm_tile<U, LargePipeTile>(a, q, d, sums, stream);
      }
      break;
  }
  const cudaError_t launched = cudaGetLastError();
  CUDA_CHECK(cudaFreeAsync(scratch, stream));
  if (launched != cudaSuccess) CUDA_CHECK(launched);
}

}  // namespace nt::cuda
