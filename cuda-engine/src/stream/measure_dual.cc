#include "stream/measure_dual.h"

#include <algorithm>
#include <chrono>

#include "stream/copy_load.h"

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
