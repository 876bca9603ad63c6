// The CPU compute backend: llama_forward (cpu/llama_forward.h) on a thread pool, KV caches in
// host memory. The reference every other backend is compared with.
#pragma once

#include "backend/compute_backend.h"
#include "cpu/llama_forward.h"
#include "cpu/thread_pool.h"

namespace nt {

class CpuBackend : public ComputeBackend {
 public:
  CpuBackend(const Hparams& h, int threads) : h_(h), pool_(threads) {}

  const char* name() const override { return "cpu"; }
  int threads() const { return pool_.size(); }
  std::shared_ptr<KvPool> new_kv_pool(int32_t n_blocks, GgmlType type) override;
  // A pool of the model's `layers` only (the dual path's host part: the CPU's layers).
  std::shared_ptr<KvPool> new_kv_pool(int32_t n_blocks, GgmlType type, const std::vector<int32_t>& layers);
  void forward(const Batch& batch, WeightSource& weights, int32_t candidates, PassOutput& out) override;
  void forward_segment(const Batch& batch, WeightSource& weights, const PassSegment& segment, int32_t candidates,
                       PassOutput& out) override;
  void set_profile(OpProfile* profile) override { profile_ = profile; }

 private:
  Hparams h_;
  cpu::ThreadPool pool_;
  ForwardScratch scratch_;
  OpProfile* profile_ = nullptr;
};

}  // namespace nt
