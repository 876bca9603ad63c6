// The 6-bit scales and mins that Q4_K and Q5_K share (ggml's get_scale_min_k4), one pair per
// 32-element sub-block, as cpu/quant/quants.h's unpack_k4_scales: sub-blocks 0-3 use the low 6
// bits of bytes 0-3 (scales) and 4-7 (mins); sub-blocks 4-7 take their low 4 bits from bytes
// 8-11 and their top 2 bits from the top 2 bits of bytes 0-3 (scales) and 4-7 (mins).
#pragma once

#include <cstdint>

namespace nt::cuda::quant {

__device__ __forceinline__ void k4_scale_min(const uint8_t* packed, int s, uint32_t& scale, uint32_t& min) {
  if (s < 4) {
    scale = packed[s] & 63;
    min = packed[s + 4] & 63;
  } else {
    scale = (packed[s + 4] & 0xF) | ((packed[s - 4] >> 6) << 4);
    min = (packed[s + 4] >> 4) | ((packed[s] >> 6) << 4);
  }
}

}  // namespace nt::cuda::quant
