// The dual path's execution (tier D, tier/tier_plan.h): a pass runs as segments of consecutive
// layers, each on its backend — the compute device's (G) or the CPU's (C) — with the residual
// stream handed over in host memory at each switch (kilobytes; the weights never move). While the
// CPU computes its blocks from pinned RAM, the streamer keeps copying the next G blocks into free
// slots: tier-D blocks are optional stream groups, skipped by the passes that compute them on the
// CPU. The output head always runs on the compute device, where the plan put it. A pass may
// instead run every layer on the device (tier_plan.h, per pass: a prefill, where the CPU's
// products would be compute-bound); the streamer then copies the tier-D blocks like tier B.
//
// Keys and values: the device's cache holds every layer, as without the dual path; the CPU's
// layers also have a host copy (KvCache::cpu_part, on a pool of those layers only, counted in
// the pinned budget). A pass writes its layers' rows on the side that computes them, and before
// a pass of the other kind the rows it lacks are copied across (sync). Why copies rather than one
// home: the device's attention kernels read a block table into device memory, and reading the
// host's rows over PCIe at every layer of every streaming pass would cost each pass what a
// switch costs once — a switch copies only the positions written since the last one (a prompt's
// rows once; a decode token's rows: kilobytes per layer).
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "backend/compute_backend.h"
#include "backend/hparams.h"
#include "backend/op_profile.h"
#include "backend/pass_segment.h"
#include "backend/stream_device.h"
#include "cpu/cpu_backend.h"
#include "gguf/ggml_type.h"

namespace nt {

class DualPass {
 public:
  // pattern: one 'G' or 'C' per layer (TierPlan::layer_pattern). The CPU's layers run on a
  // CpuBackend of `threads` threads; on the CPU-only build `device` is a CpuBackend as well, so
  // every split runs through this same code. `copier` copies rows between the device's cache and
  // the host part. The host pool holds kv_blocks blocks of the CPU's layers in kv_type, as many
  // blocks as the device's and in its type, so both fill together and every layer attends over the
  // same rounded keys and values.
  DualPass(const Hparams& h, const std::string& pattern, ComputeBackend& device, StreamDevice& copier, int threads,
           int32_t kv_blocks, GgmlType kv_type);

  // Gives the cache its host part for the CPU's layers, on the host pool.
  void attach_cpu_part(KvCache& cache, int32_t n_ctx);

  // One pass, as ComputeBackend::forward: with `split` the pattern's segments, else every layer
  // on the device. Throws as the backends do; NT_E_INTERNAL for a token whose cache has no host
  // part.
  void forward(const Batch& batch, WeightSource& weights, int32_t candidates, PassOutput& out, bool split);

  // The profile the following passes add to, or nullptr (the device backend's is set by the
  // model): a split pass adds each segment's host time (SegmentTime), the CPU layers' ops under
  // "cpu " + their name, and the KV rows' copies between the sides as "kv sync".
  void set_profile(OpProfile* profile);

  // How many segments a split pass runs ("GGCGC" then the head: 5).
  size_t segments() const { return segments_.size(); }
  const std::vector<int32_t>& cpu_layers() const { return cpu_layers_; }
  const KvPool& host_pool() const { return *cpu_pool_; }

 private:
  struct Segment {
    bool cpu = false;
    PassSegment range;
  };
  void sync(const Batch& batch, bool split);
  void written(const Batch& batch, bool split);
  void copy_rows(KvCache& cache, int32_t from, int32_t to, bool to_host);
  void run_segment(const Segment& s, const Batch& batch, WeightSource& weights, int32_t candidates, PassOutput& out);

  int32_t n_embd_;
  std::vector<Segment> segments_;
  std::vector<int32_t> cpu_layers_;
  ComputeBackend& device_;
  StreamDevice& copier_;
  CpuBackend cpu_;
  std::shared_ptr<KvPool> cpu_pool_;  // after cpu_: made by it
  std::vector<float> x_;  // the residual stream between segments
  Batch cpu_batch_;        // the batch with each token's cache replaced by its host part
  OpProfile* profile_ = nullptr;
  OpProfile cpu_ops_;      // the CPU layers' ops of a profiled pass, merged into profile_ after it
};

// The segments of a pattern: runs of equal letters; a trailing C run is followed by the head
// alone on the device. For tests: (cpu?, first, last, head) each.
std::vector<std::pair<bool, PassSegment>> dual_segments(const std::string& pattern);

}  // namespace nt
