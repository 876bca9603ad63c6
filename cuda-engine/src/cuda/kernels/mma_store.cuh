// The tensor-core GEMMs' epilogue (mma_gemm.cuh: 8-bit integers; mma_float_gemm.cuh: f16 / bf16):
// a warp's kMi x kNi accumulator tiles of 16 rows x 8 tokens, in the mma.sync C layout
// (mma_fragments.h), stored into out (n_tokens x rows floats, token-major) or added to what is there.
#pragma once

#include <cstdint>

#include "cuda/kernels/mma_fragments.h"

namespace nt::cuda {

// acc[mi][ni] is the tile of rows row_base + 16 mi .. and tokens token_base + 8 ni ..; outputs
// past rows or n_tokens (a partial tile) are not stored.
template <int kMi, int kNi>
__device__ __forceinline__ void store_mma_tiles(const float (&acc)[kMi][kNi][4], int64_t row_base, int64_t token_base,
                                                int lane, int64_t rows, int64_t n_tokens, float* __restrict__ out,
                                                bool accumulate) {
#pragma unroll
  for (int mi = 0; mi < kMi; ++mi) {
#pragma unroll
    for (int ni = 0; ni < kNi; ++ni) {
#pragma unroll
      for (int i = 0; i < 4; ++i) {
        const int64_t r = row_base + 16 * mi + mma::kernel_c_row(lane, i);
        const int64_t t = token_base + 8 * ni + mma::kernel_c_token(lane, i);
        if (r < rows && t < n_tokens) {
          float* dst = out + t * rows + r;
          *dst = accumulate ? *dst + acc[mi][ni][i] : acc[mi][ni][i];
        }
      }
    }
  }
}

}  // namespace nt::cuda
