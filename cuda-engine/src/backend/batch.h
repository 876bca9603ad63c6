#pragma once

#include <cstdint>
#include <vector>

#include "backend/kv_cache.h"

namespace nt {

// One token of a forward pass. Tokens of several sequences share a pass (continuous batching,
// speculative verification); within a sequence they come in position order, and the cache must
// already hold positions 0..pos-1 and have blocks reserved for pos (KvCache::reserve).
struct BatchToken {
  KvCache* cache = nullptr;
  int32_t token = 0;
  int32_t pos = 0;
  bool want_logits = false;
};

using Batch = std::vector<BatchToken>;

}  // namespace nt
