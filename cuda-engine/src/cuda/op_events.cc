#include "cuda/op_events.h"

#include "cuda/cuda_check.h"

namespace nt::cuda {

OpEvents::~OpEvents() {
  for (cudaEvent_t e : events_) cudaEventDestroy(e);
}

// Does not throw (end runs in destructors): an event that cannot be made or recorded leaves its
// pair unmeasured, and the pass's own next CUDA call reports the failure.
bool OpEvents::record(cudaStream_t stream, size_t& index) noexcept {
  if (used_ == events_.size()) {
    cudaEvent_t e = nullptr;
    if (cudaEventCreate(&e) != cudaSuccess) return false;  // with timing: the profile reads elapsed times
    events_.push_back(e);
  }
  if (cudaEventRecord(events_[used_], stream) != cudaSuccess) return false;
  index = used_++;
  return true;
}

size_t OpEvents::begin(const char* op, uint64_t bytes, cudaStream_t stream) noexcept {
  Pair p{op, bytes, 0, 0, false, false};
  p.started = record(stream, p.start);
  pairs_.push_back(p);
  return pairs_.size() - 1;
}

void OpEvents::end(size_t index, cudaStream_t stream) noexcept {
  if (index >= pairs_.size()) return;  // cleared by a failure meanwhile
  pairs_[index].stopped = record(stream, pairs_[index].stop);
}

void OpEvents::collect(OpProfile& profile) {
  for (const Pair& p : pairs_) {
    float ms = 0;
    if (p.started && p.stopped) CUDA_CHECK(cudaEventElapsedTime(&ms, events_[p.start], events_[p.stop]));
    profile.add(p.op, ms, p.bytes);
  }
  clear();
}

}  // namespace nt::cuda
