#pragma once

#include <cstdint>

namespace nt::ops {

// One query head's attention over its sequence's cached keys and values:
// out = softmax(q · K[0..n_past) / sqrt(head_dim)) · V[0..n_past), where key/value j starts at
// k + j * kv_stride (v likewise). Causality comes from n_past: a token at position p sees p + 1
// entries. scratch holds n_past floats.
void attention_head(const float* q, const float* k, const float* v, int64_t kv_stride, int32_t n_past,
                    int32_t head_dim, float* scratch, float* out);

}  // namespace nt::ops
