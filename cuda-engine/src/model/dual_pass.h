// The dual path's execution (tier D, tier/tier_plan.h): a pass runs as segments of consecutive
// layers, each on its backend — the compute device's (G) or the CPU's (C) — with the residual
// stream handed over in host memory at each switch (kilobytes; the weights never move). While the
// CPU computes its blocks from pinned RAM, the streamer keeps copying the next G blocks into free
// slots: tier-D blocks are in no stream group, so the ring's cycle simply skips them. The output
// head always runs on the compute device, where the plan put it.
//
// Each layer's keys and values live with the backend that computes it: a sequence's cache is the
// compute device's, with a host-memory part (KvCache::cpu_part) for the CPU's layers.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "backend/compute_backend.h"
#include "backend/hparams.h"
#include "backend/pass_segment.h"
#include "cpu/cpu_backend.h"
#include "gguf/ggml_type.h"

namespace nt {

class DualPass {
 public:
  // pattern: one 'G' or 'C' per layer (TierPlan::layer_pattern). The CPU's layers run on a
  // CpuBackend of `threads` threads; on the CPU-only build `device` is a CpuBackend as well, so
  // every split runs through this same code.
  // The host pool holds kv_blocks blocks of kv_type, as many as the device's and in its type, so
  // both fill together and every layer attends over the same rounded keys and values.
  DualPass(const Hparams& h, const std::string& pattern, ComputeBackend& device, int threads, int32_t kv_blocks,
           GgmlType kv_type);

  // Gives the cache its host part for the CPU's layers, on the host pool.
  void attach_cpu_part(KvCache& cache, int32_t n_ctx);

  // One pass, as ComputeBackend::forward. Throws as the backends do; NT_E_INTERNAL for a token
  // whose cache has no host part.
  void forward(const Batch& batch, WeightSource& weights, int32_t candidates, PassOutput& out);

  // How many segments a pass runs ("GGCGC" then the head: 5).
  size_t segments() const { return segments_.size(); }

 private:
  struct Segment {
    bool cpu = false;
    PassSegment range;
  };

  int32_t n_embd_;
  std::vector<Segment> segments_;
  ComputeBackend& device_;
  CpuBackend cpu_;
  std::shared_ptr<KvPool> cpu_pool_;  // after cpu_: made by it
  std::vector<float> x_;  // the residual stream between segments
  Batch cpu_batch_;        // the batch with each token's cache replaced by its host part
};

// The segments of a pattern: runs of equal letters; a trailing C run is followed by the head
// alone on the device. For tests: (cpu?, first, last, head) each.
std::vector<std::pair<bool, PassSegment>> dual_segments(const std::string& pattern);

}  // namespace nt
