#include "backend/kv_cache.h"

namespace nt {

bool KvCache::reserve(int32_t n_positions) {
  if (n_positions > n_ctx_) return false;
  const int64_t missing = KvPool::blocks_for(n_positions) - static_cast<int64_t>(blocks_.size());
  if (missing <= 0) return true;
  return pool_->allocate(static_cast<int32_t>(missing), blocks_);
}

}  // namespace nt
