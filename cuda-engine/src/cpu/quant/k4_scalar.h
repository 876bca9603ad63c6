// The scalar dot product Q4_K and Q5_K share: both scale 8 sub-blocks of 32 by a 6-bit scale and
// min (unpack_k4_scales) and differ only in how an element's q is stored. Each format passes its
// own block struct and quant_at (quant/blocks.h); the AVX2 kernels stay in the formats' own files.
#pragma once

#include "cpu/quant/quants.h"
#include "quant/half.h"

namespace nt::cpu::quant {

// ggml's generic ggml_vec_dot_q4_K_q8_K / q5_K_q8_K: 8 integer lanes (lane = element index mod
// 8) and 8 float accumulators across blocks; the min terms (from the activation's group sums) are
// subtracted from the total as they come and the lanes added at the end.
template <typename Block, int (*QuantAt)(const Block&, int)>
float vec_dot_k4(int64_t n, const uint8_t* w, const uint8_t* act) {
  const Block* x = reinterpret_cast<const Block*>(w);
  const BlockQ8_K* y = reinterpret_cast<const BlockQ8_K*>(act);
  float lanes[8] = {};
  float sum = 0.0f;
  for (int64_t b = 0; b < n / kBlockK; ++b) {
    uint8_t scales[8], mins[8];
    unpack_k4_scales(x[b].scales, scales, mins);
    int min_sum = 0;
    for (int g = 0; g < 16; ++g) min_sum += y[b].bsums[g] * mins[g / 2];
    int32_t lane_sums[8] = {};
    for (int e = 0; e < kBlockK; ++e) lane_sums[e % 8] += scales[e / 32] * (y[b].qs[e] * QuantAt(x[b], e));
    const float d = fp16_to_fp32(x[b].d) * y[b].d;
    for (int l = 0; l < 8; ++l) lanes[l] += d * lane_sums[l];
    const float dmin = fp16_to_fp32(x[b].dmin) * y[b].d;
    sum -= dmin * min_sum;
  }
  for (int l = 0; l < 8; ++l) sum += lanes[l];
  return sum;
}

}  // namespace nt::cpu::quant
