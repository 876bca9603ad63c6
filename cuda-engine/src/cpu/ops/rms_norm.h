#pragma once

#include <cstdint>

namespace nt::ops {

// out[t] = x[t] / sqrt(mean(x[t]^2) + eps) * weight, for n_tokens rows of n floats. As in ggml,
// the sum of squares is accumulated in double and the scale applied before the weight.
void rms_norm(const float* x, const float* weight, int64_t n_tokens, int64_t n, float eps, float* out);

}  // namespace nt::ops
