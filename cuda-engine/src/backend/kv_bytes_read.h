#pragma once

#include <algorithm>
#include <cstdint>
#include <map>

#include "backend/batch.h"
#include "backend/kv_pool.h"

namespace nt {

// The cache bytes one layer's attention over `batch` reads at least once: the keys and values
// of each sequence's positions up to its deepest token's. For the profile's attention GB/s.
inline uint64_t kv_bytes_read(const Batch& batch, int32_t n_embd_kv) {
  std::map<const KvCache*, int32_t> depth;
  for (const BatchToken& b : batch) depth[b.cache] = std::max(depth[b.cache], b.pos + 1);
  uint64_t rows = 0;
  for (const auto& [cache, positions] : depth) rows += static_cast<uint64_t>(positions);
  if (batch.empty()) return 0;
  return 2 * rows * KvPool::row_bytes(batch.front().cache->pool().type(), n_embd_kv);
}

}  // namespace nt
