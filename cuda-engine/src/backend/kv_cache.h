// The keys and values one sequence has seen, per layer, in F32 (as llama.cpp's F32 cache type,
// which the oracle tests use): exactness before compactness. The floats live in the compute
// backend's memory — host memory for the CPU, VRAM for CUDA, where k()/v() are device addresses
// that only kernels may dereference.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <vector>

namespace nt {

class KvCache {
 public:
  // k and v each hold n_layer × n_ctx × n_embd_kv floats; `release` frees them.
  KvCache(int32_t n_layer, int32_t n_ctx, int32_t n_embd_kv, float* k, float* v, std::function<void()> release)
      : n_layer_(n_layer), n_ctx_(n_ctx), n_embd_kv_(n_embd_kv), k_(k), v_(v), release_(std::move(release)) {}
  ~KvCache() {
    if (release_) release_();
  }
  KvCache(const KvCache&) = delete;
  KvCache& operator=(const KvCache&) = delete;

  // Floats of one of k or v.
  static uint64_t floats(int32_t n_layer, int32_t n_ctx, int32_t n_embd_kv) {
    return static_cast<uint64_t>(n_layer) * n_ctx * n_embd_kv;
  }

  int32_t n_layer() const { return n_layer_; }
  int32_t n_ctx() const { return n_ctx_; }
  int64_t stride() const { return n_embd_kv_; }  // floats between consecutive positions
  float* k(int32_t layer, int32_t pos) { return k_ + offset(layer, pos); }
  float* v(int32_t layer, int32_t pos) { return v_ + offset(layer, pos); }
  uint64_t bytes() const { return 2 * floats(n_layer_, n_ctx_, n_embd_kv_) * sizeof(float); }

  // The dual path (model/dual_pass.h): the same sequence's keys and values in host memory, where
  // the CPU computes the layers of tier D. Null without the dual path; freed with this cache.
  KvCache* cpu_part() const { return cpu_part_.get(); }
  void attach_cpu_part(std::unique_ptr<KvCache> part) { cpu_part_ = std::move(part); }

 private:
  size_t offset(int32_t layer, int32_t pos) const {
    return (static_cast<size_t>(layer) * n_ctx_ + pos) * n_embd_kv_;
  }
  int32_t n_layer_;
  int32_t n_ctx_;
  int32_t n_embd_kv_;
  float* k_;
  float* v_;
  std::function<void()> release_;
  std::unique_ptr<KvCache> cpu_part_;
};

}  // namespace nt
