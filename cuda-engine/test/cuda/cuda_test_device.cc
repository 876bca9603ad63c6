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

}  // namespace nt::cuda::test
