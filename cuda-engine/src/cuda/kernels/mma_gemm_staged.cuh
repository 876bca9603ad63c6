// The integer GEMM with its weight loads off the critical path (NT_MMA_TILE=128s, not chosen by
// default until a GPU measures it): the 128 x 128 tile of mma_gemm.cuh, whose stages wait for
// their weights to come from memory before they unpack them (each thread's loads one after the
// other, the MMAs idle meanwhile), copies the next stage's weight blocks as they are stored, into
// shared memory with cp.async, while the MMAs of this stage run; unpacking then reads shared
// memory. The unpacking (U::unpack32 on the same bytes), the MMAs and the float steps are the other
// tiles', so the results are the same bit for bit. Its shared memory (the stage and the blocks,
// 64 to 72 KiB) is dynamic, beyond the 48 KiB a kernel may declare statically; every GPU from
// sm_80 allows it per CTA (sm_86 and sm_89 up to 99 KiB).
#pragma once

#include <cuda_runtime_api.h>

#include "cuda/kernels/mma_gemm.cuh"
#include "cuda/kernels/mma_tiles.h"

namespace nt::cuda {

// A 16-byte copy from global to shared memory of which only the first `bytes` (0 to 16) are read,
// the rest zero (cp.async with a source size): the last block of a matrix need not end on 16 bytes.
__device__ __forceinline__ void copy16_async_prefix(void* dst, const void* src, int bytes) {
#if defined(__CUDA_ARCH__) && __CUDA_ARCH__ >= 800
  const unsigned shared = static_cast<unsigned>(__cvta_generic_to_shared(dst));
  asm volatile("cp.async.cg.shared.global [%0], [%1], 16, %2;" ::"r"(shared), "l"(src), "r"(bytes) : "memory");
#endif
}

// The first byte of the blocks stage k0 reads from row row0 + r (the row's copy starts at the
// 16-byte boundary at or below it: MmaRawStage, mma_tiles.h).
__device__ __forceinline__ const uint8_t* mma_stage_blocks(const MmaGemmArgs& g, int64_t k0, int r, int block_elements,
                                                           int block_bytes) {
  return g.w + (g.row0 + r) * g.row_bytes + (k0 / block_elements) * block_bytes;
}

// Copies the stage's weight blocks into raw (the caller waits): 16-byte pieces, none past the
// matrix (a piece across its end reads only the bytes inside), rows past the matrix not at all.
template <class U, class T>
__device__ __forceinline__ void mma_copy_weight_blocks(const MmaGemmArgs& g, int64_t k0, uint8_t* raw) {
  using R = MmaRawStage<U, T>;
  const uint8_t* end = g.w + g.rows * g.row_bytes;
#pragma unroll 1
  for (int u = threadIdx.x; u < T::kRows * R::kChunks; u += T::kThreads) {
    const int r = u / R::kChunks, c = u % R::kChunks;
    if (g.row0 + r >= g.rows) continue;
    const uint8_t* first = mma_stage_blocks(g, k0, r, U::kBlockElements, U::kBlockBytes);
    const uint8_t* src = reinterpret_cast<const uint8_t*>(reinterpret_cast<uintptr_t>(first) & ~uintptr_t{15}) + 16 * c;
    const int64_t left = end - src;
    const int bytes = left >= 16 ? 16 : left > 0 ? static_cast<int>(left) : 0;
    copy16_async_prefix(raw + r * R::kRowBytes + 16 * c, bytes > 0 ? src : g.w, bytes);
  }
}

// The stage's weight tile unpacked from the copied blocks: unit u is row u / kSlices, 32-value
// slice u % kSlices; past the matrix, zeros (as mma_load_factors_and_weights).
template <class U, class T>
__device__ __forceinline__ void mma_unpack_weight_blocks(const MmaGemmArgs& g, int64_t k0, const uint8_t* raw,
                                                         MmaStageTiles<U, T>& st) {
  using R = MmaRawStage<U, T>;
  for_each_piece<T::kRows * T::kSlices / T::kThreads, T::kUnrollLoads>([&](int i) {
    const int u = threadIdx.x + i * T::kThreads;
    const int r = u / T::kSlices, j = u % T::kSlices;
    const int64_t e = k0 + 32 * j;
    uint32_t q[8] = {0, 0, 0, 0, 0, 0, 0, 0};
    float s[2] = {0.0f, 0.0f}, b[2] = {0.0f, 0.0f};
    if (g.row0 + r < g.rows && e < g.n) {
      const uintptr_t first = reinterpret_cast<uintptr_t>(mma_stage_blocks(g, k0, r, U::kBlockElements, U::kBlockBytes));
      const int64_t block = e / U::kBlockElements - k0 / U::kBlockElements;  // of the stage's
      U::unpack32(raw + r * R::kRowBytes + (first & 15) + block * U::kBlockBytes,
                  static_cast<int>((e % U::kBlockElements) / 32), q, s, b);
    }
    mma_store_weight_unit<U, T>(st, r, j, q, s, b);
  });
}

template <class U, class T, bool kFused>
__global__ void __launch_bounds__(T::kThreads, T::kMinCtas)
    mma_gemm_staged_kernel(const uint8_t* __restrict__ w, size_t row_bytes, int64_t rows, int64_t n,
                           const int8_t* __restrict__ xq, const float* __restrict__ xd,
                           const int32_t* __restrict__ xs, int64_t n_tokens, float* __restrict__ out,
                           bool accumulate) {
#if defined(__CUDA_ARCH__) && __CUDA_ARCH__ >= 800
  static_assert(sizeof(MmaStageTiles<U, T>) == kMmaTileSharedBytes<T, U::kGroup, U::kBias>,
                "mma_tiles.h counts this kernel's shared memory");
  extern __shared__ __align__(16) uint8_t mma_staged_shared[];
  auto& st = *reinterpret_cast<MmaStageTiles<U, T>*>(mma_staged_shared);
  uint8_t* raw = mma_staged_shared + MmaRawStage<U, T>::kRawOffset;
  const MmaGemmArgs g{w, row_bytes, rows, n, xq, xd, xs, n_tokens, int64_t{blockIdx.y} * T::kRows,
                      int64_t{blockIdx.x} * T::kTokens};
  const int lane = threadIdx.x % 32, warp = threadIdx.x / 32;
  const int wr = T::kWarpRows * (warp % T::kWarpsM), wt = T::kWarpTokens * (warp / T::kWarpsM);
  float acc[T::kMi][T::kNi][4];
#pragma unroll
  for (int mi = 0; mi < T::kMi; ++mi)
#pragma unroll
    for (int ni = 0; ni < T::kNi; ++ni)
#pragma unroll
      for (int i = 0; i < 4; ++i) acc[mi][ni][i] = 0.0f;

  mma_copy_weight_blocks<U, T>(g, 0, raw);
  wait_copies_async();
  __syncthreads();
  for (int64_t k0 = 0; k0 < n; k0 += T::kStage) {
    // The stage's activations copy while its weights unpack from shared memory.
    mma_copy_activations<U, T>(g, k0, st);
    mma_load_token_factors<U, T>(g, k0, st);
    mma_unpack_weight_blocks<U, T>(g, k0, raw, st);
    wait_copies_async();
    __syncthreads();  // the stage is whole, and every thread is done with raw
    // The next stage's weights come from memory while this one's MMAs run.
    if (k0 + T::kStage < n) mma_copy_weight_blocks<U, T>(g, k0 + T::kStage, raw);
    mma_compute_stage<U, T, kFused>(st, k0, n, wr, wt, lane, acc);
    wait_copies_async();
    __syncthreads();  // the next stage's blocks are in, and every warp is done with st
  }
  store_mma_tiles(acc, g.row0 + wr, g.t0 + wt, lane, rows, n_tokens, out, accumulate);
#else
  __trap();  // as mma_gemm_kernel
#endif
}

}  // namespace nt::cuda
