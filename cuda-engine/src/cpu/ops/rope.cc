#include "cpu/ops/rope.h"

namespace nt::ops {

void rope(float* heads, int32_t n_heads, const RopeTable& table, const RopeParams& p) {
  const int32_t pairs = p.rope_dim / 2;
  // Adjacent pairs (x[2i], x[2i+1]) for llama; x[i] with x[i + rope_dim/2] for qwen2 (NEOX).
  const int32_t stride = p.mode == RopeMode::Adjacent ? 1 : pairs;
  for (int32_t h = 0; h < n_heads; ++h) {
    float* x = heads + static_cast<int64_t>(h) * p.head_dim;
    for (int32_t i = 0; i < pairs; ++i) {
      const int32_t a = p.mode == RopeMode::Adjacent ? 2 * i : i;
      const int32_t b = a + stride;
      const float x0 = x[a], x1 = x[b];
      x[a] = x0 * table.cos[i] - x1 * table.sin[i];
      x[b] = x0 * table.sin[i] + x1 * table.cos[i];
    }
  }
}

}  // namespace nt::ops
