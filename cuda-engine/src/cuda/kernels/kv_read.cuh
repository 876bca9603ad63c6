// Reading one head's row of the paged KV cache (token_cache.h) in the pool's element format,
// widened to F32: shared by the naive attention kernels (attention.cu) and flash attention
// (flash_attention.cu), so both read the same values.
#pragma once

#include <cuda_fp16.h>

#include <cstdint>

#include "cuda/kernels/token_cache.h"

namespace nt::cuda {

// Element d of one head's cached row, widened to F32 (a Q8_0 value is its block's scale × q).
template <KvElement kElement>
__device__ inline float kv_at(const uint8_t* row, int d) {
  if constexpr (kElement == KvElement::F16) {
    return __half2float(reinterpret_cast<const __half*>(row)[d]);
  } else if constexpr (kElement == KvElement::Q8_0) {
    const uint8_t* block = row + (d / 32) * 34;
    const float scale = __half2float(*reinterpret_cast<const __half*>(block));
    return scale * static_cast<float>(static_cast<int8_t>(block[2 + d % 32]));
  } else {
    return reinterpret_cast<const float*>(row)[d];
  }
}

// Bytes of one head's row of head_dim values.
template <KvElement kElement>
__host__ __device__ inline int64_t head_bytes(int head_dim) {
  if constexpr (kElement == KvElement::F16) return int64_t{head_dim} * 2;
  if constexpr (kElement == KvElement::Q8_0) return int64_t{head_dim} / 32 * 34;
  return int64_t{head_dim} * 4;
}

}  // namespace nt::cuda
