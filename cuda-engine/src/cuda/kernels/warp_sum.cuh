// The sum of a value over the 32 lanes of a warp, in every lane: a butterfly of xor shuffles,
// so every lane adds in the same fixed order (results do not depend on scheduling).
#pragma once

namespace nt::cuda {

template <class T>
__device__ __forceinline__ T warp_sum(T x) {
#pragma unroll
  for (int offset = 16; offset > 0; offset /= 2) x += __shfl_xor_sync(0xFFFFFFFFu, x, offset);
  return x;
}

}  // namespace nt::cuda
