#pragma once

#include <cstdint>

namespace nt::ops {

// gate[i] = silu(gate[i]) * up[i], silu(x) = x / (1 + e^-x): the SwiGLU of llama's feed-forward.
void swiglu(float* gate, const float* up, int64_t n);

}  // namespace nt::ops
