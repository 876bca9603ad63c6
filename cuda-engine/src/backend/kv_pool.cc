#include "backend/kv_pool.h"

namespace nt {

uint64_t KvPool::row_bytes(GgmlType type, int32_t n_embd_kv) {
  const std::optional<GgmlBlockLayout> layout = ggml_block_layout(static_cast<uint32_t>(type));
  return layout ? static_cast<uint64_t>(n_embd_kv) / layout->block_elements * layout->block_bytes : 0;
}

KvPool::KvPool(GgmlType type, int32_t n_layer, int32_t n_embd_kv, int32_t n_blocks, uint8_t* k, uint8_t* v,
               std::function<void()> release, const std::vector<int32_t>& layers)
    : type_(type), n_layer_(n_layer), n_embd_kv_(n_embd_kv), n_blocks_(n_blocks),
      row_bytes_(static_cast<int64_t>(row_bytes(type, n_embd_kv))), k_(k), v_(v), release_(std::move(release)) {
  for (size_t i = 0; i < layers.size(); ++i) {
    const auto layer = static_cast<size_t>(layers[i]);
    if (slot_of_layer_.size() <= layer) slot_of_layer_.resize(layer + 1, -1);
    slot_of_layer_[layer] = static_cast<int32_t>(i);
  }
  free_.reserve(static_cast<size_t>(n_blocks));
  for (int32_t b = n_blocks - 1; b >= 0; --b) free_.push_back(b);  // block 0 is handed out first
}

KvPool::~KvPool() {
  if (release_) release_();
}

int32_t KvPool::free_blocks() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return static_cast<int32_t>(free_.size());
}

bool KvPool::allocate(int32_t n, std::vector<int32_t>& blocks) {
  std::lock_guard<std::mutex> lock(mutex_);
  if (n < 0 || static_cast<size_t>(n) > free_.size()) return false;
  for (int32_t i = 0; i < n; ++i) {
    blocks.push_back(free_.back());
    free_.pop_back();
  }
  return true;
}

void KvPool::release(std::vector<int32_t>& blocks) {
  std::lock_guard<std::mutex> lock(mutex_);
  free_.insert(free_.end(), blocks.rbegin(), blocks.rend());
  blocks.clear();
}

}  // namespace nt
