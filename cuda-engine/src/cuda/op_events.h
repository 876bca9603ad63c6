// The CUDA side of a profiled pass (backend/op_profile.h): a pair of events on the compute
// stream around each kernel or group of kernels, read back once the pass has synchronised. The
// events are created once and reused; a pass without a profile records none. An op's time is
// from its first event to its second on the GPU's clock: what ran on the stream between them,
// plus any wait the stream was ordered into there (a streamed block's copy, a side stream).
#pragma once

#include <cuda_runtime_api.h>

#include <cstddef>
#include <cstdint>
#include <vector>

#include "backend/op_profile.h"

namespace nt::cuda {

class OpEvents {
 public:
  OpEvents() = default;
  ~OpEvents();
  OpEvents(const OpEvents&) = delete;
  OpEvents& operator=(const OpEvents&) = delete;

  // Records the start of `op` (a string that outlives the pass) on `stream`; returns its index for end.
  size_t begin(const char* op, uint64_t bytes, cudaStream_t stream) noexcept;
  void end(size_t index, cudaStream_t stream) noexcept;
  // After the stream synchronised: every op's time into `profile`, and the pairs are cleared.
  void collect(OpProfile& profile);
  // Forgets the recorded pairs (a failed pass).
  void clear() {
    pairs_.clear();
    used_ = 0;
  }

 private:
  struct Pair {
    const char* op;
    uint64_t bytes;
    size_t start, stop;
    bool started, stopped;
  };
  bool record(cudaStream_t stream, size_t& index) noexcept;

  std::vector<cudaEvent_t> events_;
  size_t used_ = 0;
  std::vector<Pair> pairs_;
};

// The pair around one scope: begins on construction when given events, ends when destroyed.
class OpScope {
 public:
  OpScope(OpEvents* events, const char* op, uint64_t bytes, cudaStream_t stream)
      : events_(events), stream_(stream), index_(events ? events->begin(op, bytes, stream) : 0) {}
  ~OpScope() {
    if (events_) events_->end(index_, stream_);
  }
  OpScope(const OpScope&) = delete;
  OpScope& operator=(const OpScope&) = delete;

 private:
  OpEvents* events_;
  cudaStream_t stream_;
  size_t index_;
};

}  // namespace nt::cuda
