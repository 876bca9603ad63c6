// The keys and values one sequence has seen, per layer, in F32 (as llama.cpp's F32 cache type,
// which the oracle tests use): exactness before compactness.
#pragma once

#include <cstdint>
#include <vector>

namespace nt {

class KvCache {
 public:
  KvCache(int32_t n_layer, int32_t n_ctx, int32_t n_embd_kv)
      : n_ctx_(n_ctx), n_embd_kv_(n_embd_kv),
        k_(static_cast<size_t>(n_layer) * n_ctx * n_embd_kv),
        v_(static_cast<size_t>(n_layer) * n_ctx * n_embd_kv) {}

  int32_t n_ctx() const { return n_ctx_; }
  int64_t stride() const { return n_embd_kv_; }  // floats between consecutive positions
  float* k(int32_t layer, int32_t pos) { return k_.data() + offset(layer, pos); }
  float* v(int32_t layer, int32_t pos) { return v_.data() + offset(layer, pos); }
  uint64_t bytes() const { return (k_.size() + v_.size()) * sizeof(float); }

 private:
  size_t offset(int32_t layer, int32_t pos) const {
    return (static_cast<size_t>(layer) * n_ctx_ + pos) * n_embd_kv_;
  }
  int32_t n_ctx_;
  int32_t n_embd_kv_;
  std::vector<float> k_, v_;
};

}  // namespace nt
