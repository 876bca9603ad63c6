// Owning handles for GPU and pinned host memory, so that scratch and staging buffers are freed on
// every path, exceptions included. Allocation failures throw NT_E_OUT_OF_MEMORY naming the size.
#pragma once

#include <cuda_runtime_api.h>

#include <cstdint>
#include <utility>

#include "cuda/cuda_check.h"

namespace nt::cuda {

template <typename T, void* (*Alloc)(uint64_t, const char*), cudaError_t (*Free)(void*)>
class Buffer {
 public:
  Buffer() = default;
  Buffer(uint64_t count, const char* what)
      : data_(static_cast<T*>(Alloc(count * sizeof(T), what))), count_(count) {}
  ~Buffer() { reset(); }
  Buffer(Buffer&& other) noexcept : data_(std::exchange(other.data_, nullptr)), count_(std::exchange(other.count_, 0)) {}
  Buffer& operator=(Buffer&& other) noexcept {
    if (this != &other) {
      reset();
      data_ = std::exchange(other.data_, nullptr);
      count_ = std::exchange(other.count_, 0);
    }
    return *this;
  }
  Buffer(const Buffer&) = delete;
  Buffer& operator=(const Buffer&) = delete;

  T* get() const { return data_; }
  // Hands the memory to a new owner (who frees it with cudaFree / cudaFreeHost).
  T* release() {
    count_ = 0;
    return std::exchange(data_, nullptr);
  }
  uint64_t size() const { return count_; }
  void reset() {
    if (data_) Free(data_);  // a failure here cannot be acted on; the memory is gone either way
    data_ = nullptr;
    count_ = 0;
  }

 private:
  T* data_ = nullptr;
  uint64_t count_ = 0;
};

inline cudaError_t free_device_memory(void* p) { return cudaFree(p); }
inline cudaError_t free_pinned_memory(void* p) { return cudaFreeHost(p); }

template <typename T>
using DeviceBuffer = Buffer<T, device_alloc, free_device_memory>;
template <typename T>
using PinnedBuffer = Buffer<T, pinned_alloc, free_pinned_memory>;

}  // namespace nt::cuda
