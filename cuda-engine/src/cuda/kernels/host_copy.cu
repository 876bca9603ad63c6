// cuda/kernels/host_copy.h: 4-byte words, a row of blocks per part; consecutive threads read
// consecutive words, so a warp's loads merge into 128-byte PCIe reads.
#include <algorithm>
#include <string>

#include "core/engine_error.h"
#include "cuda/cuda_check.h"
#include "cuda/kernels/host_copy.h"

namespace nt::cuda {

namespace {

constexpr int kThreads = 256;
constexpr unsigned kMaxBlocksPerPart = 32;  // 32 KB of words per pass of the grid: a token's x at 8192 wide

__global__ void copy_from_host_kernel(HostCopies copies) {
  const HostCopy& c = copies.part[blockIdx.y];
  const uint32_t* __restrict__ src = static_cast<const uint32_t*>(c.src);
  uint32_t* __restrict__ dst = static_cast<uint32_t*>(c.dst);
  const uint64_t words = c.bytes / 4;
  for (uint64_t i = uint64_t{blockIdx.x} * kThreads + threadIdx.x; i < words; i += uint64_t{gridDim.x} * kThreads) {
    dst[i] = src[i];
  }
}

}  // namespace

void copy_from_host(const HostCopies& copies, cudaStream_t stream) {
  if (copies.count <= 0) return;
  if (copies.count > kMaxHostCopies) throw EngineError(NT_E_INTERNAL, "too many parts for one host copy");
  uint64_t most = 0;
  for (int i = 0; i < copies.count; ++i) {
    if (copies.part[i].bytes % 4 != 0) {
      throw EngineError(NT_E_INTERNAL, "a host copy of " + std::to_string(copies.part[i].bytes) +
                                           " bytes is not a whole number of 4-byte words");
    }
    most = std::max(most, copies.part[i].bytes);
  }
  if (most == 0) return;
  const uint64_t blocks = (most / 4 + kThreads - 1) / kThreads;
  const dim3 grid(static_cast<unsigned>(std::min<uint64_t>(blocks, kMaxBlocksPerPart)), static_cast<unsigned>(copies.count));
  copy_from_host_kernel<<<grid, kThreads, 0, stream>>>(copies);
  CUDA_CHECK_LAUNCH("copy_from_host_kernel");
}

}  // namespace nt::cuda
