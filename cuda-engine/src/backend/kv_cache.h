// One sequence's keys and values: its block table into the model's KvPool (backend/kv_pool.h).
// Position p lives in block blocks()[p / kBlockPositions], row p % kBlockPositions. Blocks are
// taken by reserve() before a pass writes a position and all go back to the pool when the cache
// is destroyed (a sequence that finishes, fails or is cancelled).
#pragma once

#include <cstdint>
#include <memory>
#include <vector>

#include "backend/kv_pool.h"

namespace nt {

class KvCache {
 public:
  // A sequence of at most n_ctx positions; it holds no block until reserve().
  KvCache(std::shared_ptr<KvPool> pool, int32_t n_ctx) : pool_(std::move(pool)), n_ctx_(n_ctx) {}
  ~KvCache() { pool_->release(blocks_); }
  KvCache(const KvCache&) = delete;
  KvCache& operator=(const KvCache&) = delete;

  // Makes positions 0..n_positions-1 writable, taking the blocks it lacks from the pool. false
  // (nothing taken) when the pool has too few free blocks or n_positions exceeds n_ctx.
  bool reserve(int32_t n_positions);

  int32_t n_ctx() const { return n_ctx_; }
  int32_t capacity() const { return static_cast<int32_t>(blocks_.size()) * KvPool::kBlockPositions; }
  const std::vector<int32_t>& blocks() const { return blocks_; }
  KvPool& pool() const { return *pool_; }

  // The dual path (model/dual_pass.h): the same sequence's keys and values in a host-memory pool,
  // where the CPU computes the layers of tier D. Null without the dual path; freed with this cache.
  KvCache* cpu_part() const { return cpu_part_.get(); }
  void attach_cpu_part(std::unique_ptr<KvCache> part) { cpu_part_ = std::move(part); }
  // Positions [0, n) of the CPU's layers that are current here and in the host part: a pass
  // writes them on one side only, and the dual path copies them across when a pass of the other
  // kind needs them (DualPass::sync).
  struct Mirror { int32_t here = 0, host = 0; };
  Mirror& mirror() { return mirror_; }

  // Position pos's row of layer `layer` (in the pool's type); pos < capacity().
  uint8_t* k(int32_t layer, int32_t pos) const { return pool_->k(block_of(pos), layer, pos % KvPool::kBlockPositions); }
  uint8_t* v(int32_t layer, int32_t pos) const { return pool_->v(block_of(pos), layer, pos % KvPool::kBlockPositions); }

 private:
  int32_t block_of(int32_t pos) const { return blocks_[static_cast<size_t>(pos / KvPool::kBlockPositions)]; }
  std::shared_ptr<KvPool> pool_;
  int32_t n_ctx_;
  std::vector<int32_t> blocks_;
  std::unique_ptr<KvCache> cpu_part_;
  Mirror mirror_;
};

}  // namespace nt
