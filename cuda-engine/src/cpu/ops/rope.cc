#include "cpu/ops/rope.h"

#include <cmath>

namespace nt::ops {

RopeParams rope_params(const Hparams& h, const TensorView& rope_freqs) {
  RopeParams p;
  p.head_dim = h.head_dim;
  p.rope_dim = h.rope_dim;
  p.theta_base = h.rope_theta;
  p.freq_scale = h.rope_freq_scale;
  p.freq_factors = rope_freqs.data ? reinterpret_cast<const float*>(rope_freqs.data) : nullptr;
  p.mode = h.rope_mode;
  return p;
}

void rope_table(int32_t pos, const RopeParams& p, RopeTable& table) {
  const int32_t pairs = p.rope_dim / 2;
  table.cos.resize(pairs);
  table.sin.resize(pairs);
  const float theta_scale = std::pow(p.theta_base, -2.0f / static_cast<float>(p.rope_dim));
  float theta = static_cast<float>(pos);
  for (int32_t i = 0; i < pairs; ++i) {
    const float factor = p.freq_factors ? p.freq_factors[i] : 1.0f;
    const float angle = p.freq_scale * (theta / factor);
    table.cos[i] = std::cos(angle);
    table.sin[i] = std::sin(angle);
    theta *= theta_scale;
  }
}

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
