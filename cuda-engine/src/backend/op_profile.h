// Where a forward pass's time goes, op by op (nt-bench --profile): each backend times its own
// ops — the CPU with the host clock around each synchronous op, CUDA with a pair of events
// around each kernel or group of kernels — and adds them here by name, summed over layers and
// passes. A pass is given no profile (nullptr) unless one is asked for, and then records nothing.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace nt {

struct OpTime {
  std::string op;          // "attn_norm", "qkv", "attention", ... (the backend's names)
  uint64_t calls = 0;      // over every layer and pass profiled
  double ms = 0;
  uint64_t bytes = 0;      // weights read by those calls (the KV cache for attention)
};

// One segment of a dual-path pass (model/dual_pass.h), timed on the host around the backend's
// forward_segment: for the device's, that includes its staging, the activations' upload and
// download and the synchronisation — the switch's cost — beside ops_ms, its ops' own time.
struct SegmentTime {
  bool cpu = false;
  int32_t first = 0, last = 0;  // layers [first, last)
  bool head = false;
  uint64_t calls = 0;           // passes that ran it
  double ms = 0;
  double ops_ms = 0;
  uint64_t bytes = 0;           // weights its ops read
};

class OpProfile {
 public:
  // Adds one call of `op` (first-seen order is kept for printing).
  void add(const std::string& op, double ms, uint64_t bytes);
  // Adds every op of `other` under `prefix` + its name ("cpu " for the dual path's CPU layers).
  void merge(const OpProfile& other, const std::string& prefix);
  // Adds a segment's time; equal segments (same side and layers) of later passes sum.
  void add_segment(const SegmentTime& s);
  // The pass as the caller saw it, host wall clock from entering to the results on the host.
  void add_pass(double wall_ms) {
    wall_ms_ += wall_ms;
    ++passes_;
  }

  const std::vector<OpTime>& ops() const { return ops_; }
  const std::vector<SegmentTime>& segments() const { return segments_; }
  double ops_ms() const;        // the sum over ops (nested ops are not recorded: no double count)
  uint64_t ops_bytes() const;
  double wall_ms() const { return wall_ms_; }
  uint64_t passes() const { return passes_; }
  const OpTime* find(const std::string& op) const;

 private:
  std::vector<OpTime> ops_;
  std::vector<SegmentTime> segments_;
  double wall_ms_ = 0;
  uint64_t passes_ = 0;
};

}  // namespace nt
