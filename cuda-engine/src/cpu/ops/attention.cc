#include "cpu/ops/attention.h"

#include <cmath>

namespace nt::ops {

void attention_head(const float* q, const PagedRows& k, const PagedRows& v, int32_t n_past, int32_t head_dim,
                    float* scratch, float* out) {
  const float scale = 1.0f / std::sqrt(static_cast<float>(head_dim));
  float max_score = -INFINITY;
  for (int32_t j = 0; j < n_past; ++j) {
    const float* kj = k.f32_row(j);
    float dot = 0.0f;
    for (int32_t d = 0; d < head_dim; ++d) dot += q[d] * kj[d];
    scratch[j] = dot * scale;
    if (scratch[j] > max_score) max_score = scratch[j];
  }
  double sum = 0.0;  // ggml's soft_max sums in double too
  for (int32_t j = 0; j < n_past; ++j) {
    scratch[j] = std::exp(scratch[j] - max_score);
    sum += scratch[j];
  }
  const float inv_sum = static_cast<float>(1.0 / sum);
  for (int32_t d = 0; d < head_dim; ++d) out[d] = 0.0f;
  for (int32_t j = 0; j < n_past; ++j) {
    const float w = scratch[j] * inv_sum;
    const float* vj = v.f32_row(j);
    for (int32_t d = 0; d < head_dim; ++d) out[d] += w * vj[d];
  }
}

}  // namespace nt::ops
