// CUDA errors as EngineErrors: the daemon must turn a failed CUDA call into a JS error, never an
// abort (DESIGN §1). Allocation failures are NT_E_OUT_OF_MEMORY naming the size; everything else
// is NT_E_INTERNAL naming the call that failed.
#pragma once

#include <cuda_runtime_api.h>

#include <cstdint>
#include <string>

#include "core/engine_error.h"

namespace nt::cuda {

// "cudaErrorName: description", for messages.
inline std::string error_text(cudaError_t err) { return std::string(cudaGetErrorName(err)) + ": " + cudaGetErrorString(err); }

inline void check(cudaError_t err, const char* call) {
  if (err == cudaSuccess) return;
  cudaGetLastError();  // clear a non-sticky error so the next call starts clean
  throw EngineError(NT_E_INTERNAL, std::string(call) + " failed: " + error_text(err));
}

// cudaMalloc that throws NT_E_OUT_OF_MEMORY with the size (what: what the memory is for).
inline void* device_alloc(uint64_t bytes, const char* what) {
  void* p = nullptr;
  const cudaError_t err = cudaMalloc(&p, bytes == 0 ? 1 : bytes);
  if (err != cudaSuccess) {
    cudaGetLastError();  // an allocation failure is not sticky, but clear it for the next check
    throw EngineError(NT_E_OUT_OF_MEMORY, std::string("cannot allocate ") + std::to_string(bytes) +
                                              " bytes of GPU memory for " + what + ": " + cudaGetErrorString(err));
  }
  return p;
}

inline void* pinned_alloc(uint64_t bytes, const char* what) {
  void* p = nullptr;
  const cudaError_t err = cudaHostAlloc(&p, bytes == 0 ? 1 : bytes, cudaHostAllocDefault);
  if (err != cudaSuccess) {
    cudaGetLastError();
    throw EngineError(NT_E_OUT_OF_MEMORY, std::string("cannot allocate ") + std::to_string(bytes) +
                                              " bytes of pinned host memory for " + what + ": " +
                                              cudaGetErrorString(err));
  }
  return p;
}

}  // namespace nt::cuda

// CUDA_CHECK(cudaMemcpyAsync(...)): throws EngineError NT_E_INTERNAL naming the call.
#define CUDA_CHECK(call) ::nt::cuda::check((call), #call)
// After a kernel launch: launch-configuration errors surface here, not at the next sync.
#define CUDA_CHECK_LAUNCH(kernel_name) ::nt::cuda::check(cudaGetLastError(), "launching " kernel_name)
