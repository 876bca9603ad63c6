#include "cpu/cpu_stream_device.h"

#include <cstdlib>
#include <cstring>
#include <string>

#include "core/engine_error.h"

namespace nt {

namespace {

// Page alignment: O_DIRECT reads land in "pinned" buffers, and device slots get the same
// alignment so tensors at 256-byte slot offsets satisfy every SIMD load the CPU kernels make.
constexpr size_t kAlignment = 4096;

void* aligned_alloc_or_throw(uint64_t bytes, const char* kind) {
  void* p = nullptr;
  // posix_memalign(0) may return nullptr; a distinct block keeps "nullptr = failed" unambiguous.
  const size_t n = bytes == 0 ? 1 : static_cast<size_t>(bytes);
  if (::posix_memalign(&p, kAlignment, n) != 0 || p == nullptr)
    throw EngineError(NT_E_OUT_OF_MEMORY,
                      std::string("cannot allocate ") + std::to_string(bytes) + " bytes of " + kind + " memory");
  return p;
}

}  // namespace

void* CpuStreamDevice::alloc_device(uint64_t bytes) { return aligned_alloc_or_throw(bytes, "device (host)"); }
void CpuStreamDevice::free_device(void* p) { std::free(p); }
void* CpuStreamDevice::alloc_pinned(uint64_t bytes) { return aligned_alloc_or_throw(bytes, "pinned host"); }
void CpuStreamDevice::free_pinned(void* p) { std::free(p); }

void CpuStreamDevice::upload(void* device_dst, const void* host_src, uint64_t bytes) {
  if (bytes != 0) std::memcpy(device_dst, host_src, bytes);
}

void CpuStreamDevice::download(void* host_dst, const void* device_src, uint64_t bytes) {
  if (bytes != 0) std::memcpy(host_dst, device_src, bytes);
}

void CpuStreamDevice::copy_device(void* device_dst, const void* device_src, uint64_t bytes) {
  if (bytes != 0) std::memcpy(device_dst, device_src, bytes);
}

void CpuStreamDevice::copy_async(void* device_dst, const void* pinned_src, uint64_t bytes) {
  if (bytes != 0) std::memcpy(device_dst, pinned_src, bytes);
}

}  // namespace nt
