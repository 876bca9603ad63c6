#pragma once

#include <cstdint>

namespace nt::ops {

// Where one head's cached keys (or values) lie in a paged KV cache (backend/kv_pool.h): row j
// starts at byte base + blocks[j / block_rows] * block_stride + (j % block_rows) * row_stride. A
// contiguous cache is one block of n_past rows: blocks = {0}, block_rows >= n_past.
struct PagedRows {
  const uint8_t* base;
  const int32_t* blocks;
  int64_t block_stride;  // bytes
  int64_t row_stride;    // bytes
  int32_t block_rows;

  const uint8_t* row(int32_t j) const {
    return base + blocks[j / block_rows] * block_stride + (j % block_rows) * row_stride;
  }
  const float* f32_row(int32_t j) const { return reinterpret_cast<const float*>(row(j)); }
};

// One query head's attention over its sequence's cached F32 keys and values, as ggml computes
// llama.cpp's graph without flash attention (soft_max of the scaled scores, then the weighted sum):
// out = softmax(q · K[0..n_past) / sqrt(head_dim)) · V[0..n_past). Causality comes from n_past:
// a token at position p sees p + 1 entries. scratch holds n_past floats.
void attention_head(const float* q, const PagedRows& k, const PagedRows& v, int32_t n_past, int32_t head_dim,
                    float* scratch, float* out);

}  // namespace nt::ops
