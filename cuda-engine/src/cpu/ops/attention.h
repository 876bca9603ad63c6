#pragma once

#include <cstdint>

namespace nt::ops {

// Where one head's cached keys (or values) lie in a paged KV cache (backend/kv_pool.h): row j
// starts at base + blocks[j / block_rows] * block_stride + (j % block_rows) * row_stride. A
// contiguous cache is one block of n_past rows: blocks = {0}, block_rows >= n_past.
struct PagedRows {
  const float* base;
  const int32_t* blocks;
  int64_t block_stride;
  int64_t row_stride;
  int32_t block_rows;

  const float* row(int32_t j) const {
    return base + blocks[j / block_rows] * block_stride + (j % block_rows) * row_stride;
  }
};

// One query head's attention over its sequence's cached keys and values:
// out = softmax(q · K[0..n_past) / sqrt(head_dim)) · V[0..n_past). Causality comes from n_past:
// a token at position p sees p + 1 entries. scratch holds n_past floats.
void attention_head(const float* q, const PagedRows& k, const PagedRows& v, int32_t n_past, int32_t head_dim,
                    float* scratch, float* out);

}  // namespace nt::ops
