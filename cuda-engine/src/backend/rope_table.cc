#include "backend/rope_table.h"

#include <cmath>

#include "backend/hparams.h"

namespace nt {

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

}  // namespace nt
