// What the CUDA kernel tests share: a skip when no GPU is usable (CI and dev machines have nvcc
// but no GPU; the GPU machine runs these), a stream of their own (the tests do not need a
// CudaStreamDevice), and copies between std::vector and device memory.
#pragma once

#include <gtest/gtest.h>

#include <functional>
#include <string>
#include <vector>

#include "cuda/cuda_check.h"
#include "cuda/device_buffer.h"
#include "gguf/ggml_type.h"
#include "tensor/tensor_view.h"

namespace nt::cuda::test {

// True when device 0 can run kernels; otherwise `reason` says why.
bool device_usable(std::string& reason);

// The stream every test launches on (created on first use, device 0).
cudaStream_t test_stream();

// Milliseconds per call of `run` (which launches on the test stream): one untimed call, then the
// mean of `reps`, timed with events on the stream.
float time_ms(const std::function<void()>& run, int reps);

// rows × n elements of `type` (GGUF blocks) at device address `data`, as the matmul takes them.
inline TensorView device_view(GgmlType type, const uint8_t* data, int64_t rows, int64_t n) {
  TensorView w;
  w.data = data;
  w.type = static_cast<uint32_t>(type);
  w.ne[0] = n;
  w.ne[1] = rows;
  return w;
}

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
