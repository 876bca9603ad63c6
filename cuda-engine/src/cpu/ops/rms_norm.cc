#include "cpu/ops/rms_norm.h"

#include <cmath>

namespace nt::ops {

void rms_norm(const float* x, const float* weight, int64_t n_tokens, int64_t n, float eps, float* out) {
  for (int64_t t = 0; t < n_tokens; ++t) {
    const float* row = x + t * n;
    float* dst = out + t * n;
    double sum = 0.0;
    for (int64_t i = 0; i < n; ++i) sum += static_cast<double>(row[i]) * row[i];
    const float mean = static_cast<float>(sum / n);
    const float scale = 1.0f / std::sqrt(mean + eps);
    for (int64_t i = 0; i < n; ++i) dst[i] = (row[i] * scale) * weight[i];
  }
}

}  // namespace nt::ops
