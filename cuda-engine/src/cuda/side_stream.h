// A second stream for independent products of one pass (k and v beside q, up beside gate): a
// lone small matrix leaves most of the GPU idle, two at once fill it. Ordered by events only, so
// it works the same launched directly or captured into a graph (the branch becomes parallel nodes).
#pragma once

#include <cuda_runtime_api.h>

namespace nt::cuda {

class SideStream {
 public:
  SideStream();  // on the current device; throws EngineError NT_E_INTERNAL
  ~SideStream();
  SideStream(const SideStream&) = delete;
  SideStream& operator=(const SideStream&) = delete;

  // The side stream, ordered after everything issued on `main` so far.
  cudaStream_t fork(cudaStream_t main);
  // Orders what is issued on `main` from now on after everything issued on the side stream.
  void join(cudaStream_t main);
  // Waits for the side stream's work (after a failed pass, before its buffers are reused).
  void synchronize();

 private:
  void release();

  cudaStream_t stream_ = nullptr;
  cudaEvent_t forked_ = nullptr;
  cudaEvent_t joined_ = nullptr;
};

}  // namespace nt::cuda
