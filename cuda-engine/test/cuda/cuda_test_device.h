// What the CUDA kernel tests share: a skip when no GPU is usable (CI and dev machines have nvcc
// but no GPU; the GPU machine runs these), a stream of their own (the tests do not need a
// CudaStreamDevice), and copies between std::vector and device memory.
#pragma once

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "cuda/cuda_check.h"
#include "cuda/device_buffer.h"

namespace nt::cuda::test {

// True when device 0 can run kernels; otherwise `reason` says why.
bool device_usable(std::string& reason);

// The stream every test launches on (created on first use, device 0).
cudaStream_t test_stream();

// On the test stream and waited for: a plain cudaMemcpy from pageable memory may return before its
// DMA lands, and the non-blocking test stream would not wait for it.
template <typename T>
DeviceBuffer<T> to_device(const std::vector<T>& host) {
  DeviceBuffer<T> d(host.size(), "a test buffer");
  CUDA_CHECK(cudaMemcpyAsync(d.get(), host.data(), host.size() * sizeof(T), cudaMemcpyHostToDevice, test_stream()));
  CUDA_CHECK(cudaStreamSynchronize(test_stream()));
  return d;
}

template <typename T>
std::vector<T> to_host(const T* device, size_t count) {
  CUDA_CHECK(cudaStreamSynchronize(test_stream()));
  std::vector<T> host(count);
  CUDA_CHECK(cudaMemcpy(host.data(), device, count * sizeof(T), cudaMemcpyDeviceToHost));
  return host;
}

}  // namespace nt::cuda::test

#define NT_SKIP_WITHOUT_CUDA()                                                                     \
  do {                                                                                             \
    std::string nt_reason;                                                                         \
    if (!::nt::cuda::test::device_usable(nt_reason)) {                                             \
      GTEST_SKIP() << "no usable CUDA device (" << nt_reason << "): the GPU machine runs this test"; \
    }                                                                                              \
  } while (0)
