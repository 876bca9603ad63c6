// Where one token of a pass reads and writes its sequence's KV cache, uploaded once per pass so
// that kernels can find every token's cache without a launch per token.
#pragma once

#include <cstdint>

namespace nt::cuda {

struct TokenCache {
  float* k = nullptr;  // KvCache::k(0, 0): layer l, position p at k + l * layer_stride + p * kv_dim
  float* v = nullptr;
  int64_t layer_stride = 0;  // n_ctx * kv_dim floats
  int32_t pos = 0;
  int32_t unused = 0;
};

}  // namespace nt::cuda
