#include "stream/measure_links.h"

#include <algorithm>
#include <chrono>
#include <cstring>
#include <functional>

namespace nt {

namespace {

// Frees a buffer from the device when the measurement ends, also when it throws.
class DeviceBuffer {
 public:
  DeviceBuffer(StreamDevice& device, uint64_t bytes, bool pinned)
      : device_(device), pinned_(pinned),
        p_(static_cast<uint8_t*>(pinned ? device.alloc_pinned(bytes) : device.alloc_device(bytes))) {}
  ~DeviceBuffer() { pinned_ ? device_.free_pinned(p_) : device_.free_device(p_); }
  DeviceBuffer(const DeviceBuffer&) = delete;
  DeviceBuffer& operator=(const DeviceBuffer&) = delete;
  uint8_t* get() const { return p_; }

 private:
  StreamDevice& device_;
  bool pinned_;
  uint8_t* p_;
};

// The fastest of `repeats` runs of `op` (after one untimed run that faults the pages in and
// wakes the link), in GB/s for `traffic` bytes moved per run.
double best_gbps(int repeats, uint64_t traffic, const std::function<void()>& op) {
  op();
  double best_s = 0;
  for (int i = 0; i < std::max(1, repeats); ++i) {
    const auto t0 = std::chrono::steady_clock::now();
    op();
    const double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    if (best_s == 0 || s < best_s) best_s = s;
  }
  return best_s > 0 ? static_cast<double>(traffic) / best_s / 1e9 : 0;
}

// A device-to-device copy reads and writes every byte: 2 × bytes of memory traffic.
double measure_vram(StreamDevice& device, uint64_t bytes, int repeats) {
  DeviceBuffer src(device, bytes, false), dst(device, bytes, false);
  return best_gbps(repeats, 2 * bytes, [&] { device.copy_device(dst.get(), src.get(), bytes); });
}

double measure_h2d(StreamDevice& device, uint64_t bytes, int repeats) {
  DeviceBuffer src(device, bytes, true), dst(device, bytes, false);
  std::memset(src.get(), 0x5a, bytes);  // pinned pages exist before the first copy
  return best_gbps(repeats, bytes, [&] { device.upload(dst.get(), src.get(), bytes); });
}

// Reads the start of the tensor data itself: the same file, filesystem and device as tier C.
double measure_storage(StreamDevice& device, StorageReader& reader, uint64_t file_offset, uint64_t file_bytes,
                       uint64_t bytes, int repeats) {
  const uint64_t a = reader.alignment();
  const uint64_t offset = file_offset / a * a;
  const uint64_t available = file_offset + file_bytes - offset;
  const uint64_t n = std::min(bytes, available) / a * a;
  if (n == 0) return 0;
  DeviceBuffer dst(device, n, true);
  return best_gbps(repeats, n, [&] { reader.read(dst.get(), offset, n); });
}

}  // namespace

LinkSpeeds measure_links(StreamDevice& device, StorageReader* reader, uint64_t file_offset, uint64_t file_bytes,
                         const LinkMeasureOptions& options) {
  LinkSpeeds links;
  if (options.bytes == 0) return links;
  links.vram_gbps = measure_vram(device, options.bytes, options.repeats);
  links.h2d_gbps = measure_h2d(device, options.bytes, options.repeats);
  if (reader != nullptr && file_bytes != 0)
    links.storage_gbps = measure_storage(device, *reader, file_offset, file_bytes,
                                         options.storage_bytes != 0 ? options.storage_bytes : options.bytes,
                                         options.repeats);
  return links;
}

}  // namespace nt
