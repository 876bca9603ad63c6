#include "stream/measure_dual.h"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstring>
#include <thread>

namespace nt {

namespace {

using Clock = std::chrono::steady_clock;

double seconds_since(Clock::time_point t0) { return std::chrono::duration<double>(Clock::now() - t0).count(); }

double gbps(double bytes, double s) { return s > 0 ? bytes / s / 1e9 : 0; }

// The fastest of `repeats` runs, after one untimed run that faults pages in and fills caches.
double best_seconds(int repeats, const std::function<void()>& op) {
  op();
  double best = 0;
  for (int i = 0; i < std::max(1, repeats); ++i) {
    const auto t0 = Clock::now();
    op();
    const double s = seconds_since(t0);
    if (best == 0 || s < best) best = s;
  }
  return best;
}

// H2D copies on a thread of their own, from `go` until `stop`: the bytes moved and the time. They
// walk a pinned source of `bytes` a chunk at a time into one device chunk, so that the copies read
// DRAM as the streamer's do, not the CPU's cache.
class CopyLoad {
 public:
  CopyLoad(StreamDevice& device, uint64_t bytes, uint64_t chunk)
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
  ~CopyLoad() {
    stop();
    device_.free_device(dst_);
    device_.free_pinned(src_);
  }
  CopyLoad(const CopyLoad&) = delete;
  CopyLoad& operator=(const CopyLoad&) = delete;

  void start() {
    thread_ = std::thread([this] {
      const auto t0 = Clock::now();
      try {
        for (uint64_t at = 0; !stop_.load(); at = at + 2 * chunk_ > bytes_ ? 0 : at + chunk_) {
          device_.upload(dst_, static_cast<const uint8_t*>(src_) + at, chunk_);
          copied_ += chunk_;
        }
      } catch (...) {
        copied_ = 0;  // a failed copy measures nothing: the together rates stay 0 (unmeasured)
      }
      seconds_ = seconds_since(t0);
    });
  }
  void stop() {
    stop_ = true;
    if (thread_.joinable()) thread_.join();
  }
  double gbps_while_running() const { return gbps(static_cast<double>(copied_), seconds_); }

 private:
  StreamDevice& device_;
  uint64_t bytes_;
  uint64_t chunk_;
  void* src_;
  void* dst_;
  std::thread thread_;
  std::atomic<bool> stop_{false};
  uint64_t copied_ = 0;  // written by the thread, read after join
  double seconds_ = 0;
};

}  // namespace

CpuRates measure_dual(StreamDevice& device, const std::function<void(int32_t batch)>& cpu_work, uint64_t work_bytes,
                      const DualMeasureOptions& options) {
  CpuRates r;
  const auto bytes = static_cast<double>(work_bytes);
  r.cpu_gbps = gbps(bytes, best_seconds(options.repeats, [&] { cpu_work(1); }));
  if (options.batch > 1) {
    r.batch = options.batch;
    r.cpu_batch_gbps = gbps(bytes, best_seconds(options.repeats, [&] { cpu_work(options.batch); }));
  }
  CopyLoad copies(device, options.copy_bytes, options.copy_chunk_bytes);
  copies.start();
  const auto t0 = Clock::now();
  const int runs = std::max(1, options.repeats) * 4;  // long enough to span several copies
  for (int i = 0; i < runs; ++i) cpu_work(1);
  const double cpu_s = seconds_since(t0);
  copies.stop();
  r.cpu_together_gbps = gbps(bytes * runs, cpu_s);
  r.h2d_together_gbps = copies.gbps_while_running();
  return r;
}

}  // namespace nt
