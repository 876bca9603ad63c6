#include "cuda/cuda_test_device.h"

namespace nt::cuda::test {

bool device_usable(std::string& reason) {
  static const std::string cached = [] {
    int count = 0;
    const cudaError_t err = cudaGetDeviceCount(&count);
    if (err != cudaSuccess) {
      cudaGetLastError();
      return std::string(cudaGetErrorString(err));
    }
    if (count == 0) return std::string("no devices");
    if (cudaSetDevice(0) != cudaSuccess) return std::string("cudaSetDevice(0) failed");
    return std::string();
  }();
  reason = cached;
  return cached.empty();
}

cudaStream_t test_stream() {
  static cudaStream_t stream = [] {
    cudaStream_t s = nullptr;
    CUDA_CHECK(cudaSetDevice(0));
    CUDA_CHECK(cudaStreamCreateWithFlags(&s, cudaStreamNonBlocking));
    return s;
  }();
  return stream;
}

float time_ms(const std::function<void()>& run, int reps) {
  cudaEvent_t start, stop;
  CUDA_CHECK(cudaEventCreate(&start));
  CUDA_CHECK(cudaEventCreate(&stop));
  run();  // warm-up
  CUDA_CHECK(cudaEventRecord(start, test_stream()));
  for (int i = 0; i < reps; ++i) run();
  CUDA_CHECK(cudaEventRecord(stop, test_stream()));
  CUDA_CHECK(cudaEventSynchronize(stop));
  float ms = 0;
  CUDA_CHECK(cudaEventElapsedTime(&ms, start, stop));
  cudaEventDestroy(start);
  cudaEventDestroy(stop);
  return ms / reps;
}

}  // namespace nt::cuda::test
