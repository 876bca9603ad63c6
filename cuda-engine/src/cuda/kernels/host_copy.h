// A pass's small uploads (its tokens' metadata, block tables and, on the dual path, the
// activations a GPU segment starts from) read by a kernel straight from pinned host memory
// instead of cudaMemcpyAsync. A copy waits on the copy engine behind whatever the streamer queued
// there before it (a dual-path switch's upload waited ~1 ms behind weight copies, 17 ms of a 300
// ms 70B pass, issue 13); a kernel's reads cross PCIe beside those copies, a few microseconds for
// a few kilobytes. Pinned memory from cudaHostAlloc is mapped at the same address on a device with
// unified addressing (every 64-bit platform CUDA supports), so the host pointers serve as is.
#pragma once

#include <cuda_runtime_api.h>

#include <cstdint>

namespace nt::cuda {

constexpr int kMaxHostCopies = 6;

struct HostCopy {
  const void* src;  // pinned host memory
  void* dst;        // device memory
  uint64_t bytes;   // a multiple of 4
};

struct HostCopies {
  HostCopy part[kMaxHostCopies];
  int count = 0;
};

// Runs every part's copy in one launch on `stream`; throws EngineError NT_E_INTERNAL when the
// launch fails or a part's size is not a multiple of 4 bytes.
void copy_from_host(const HostCopies& copies, cudaStream_t stream);

}  // namespace nt::cuda
