#include "stream/copy_load.h"

#include <algorithm>
#include <chrono>
#include <cstring>

namespace nt {

CopyLoad::CopyLoad(StreamDevice& device, uint64_t bytes, uint64_t chunk)
    : device_(device), bytes_(bytes), chunk_(std::min(bytes, chunk)), src_(device.alloc_pinned(bytes)), dst_(nullptr) {
  try {
    dst_ = device.alloc_device(chunk_);
  } catch (...) {
    device.free_pinned(src_);
    throw;
  }
  std::memset(src_, 0x5a, bytes);
  device_.upload(dst_, src_, chunk_);  // wakes the link before anything is timed
}

CopyLoad::~CopyLoad() {
  stop();
  device_.free_device(dst_);
  device_.free_pinned(src_);
}

void CopyLoad::start() {
  thread_ = std::thread([this] {
    const auto t0 = std::chrono::steady_clock::now();
    try {
      for (uint64_t at = 0; !stop_.load(); at = at + 2 * chunk_ > bytes_ ? 0 : at + chunk_) {
        device_.upload(dst_, static_cast<const uint8_t*>(src_) + at, chunk_);
        copied_ += chunk_;
      }
    } catch (...) {
      copied_ = 0;  // a failed copy measures nothing: the rate stays 0 (unmeasured)
    }
    seconds_ = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  });
}

void CopyLoad::stop() {
  stop_ = true;
  if (thread_.joinable()) thread_.join();
}

double CopyLoad::gbps_while_running() const {
  return seconds_ > 0 ? static_cast<double>(copied_) / seconds_ / 1e9 : 0;
}

}  // namespace nt
