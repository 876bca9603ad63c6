// H2D copies on a thread of their own, as a load beside CPU work: the dual path's calibration
// (stream/measure_dual.h) and nt-cpu-layer-bench time the CPU's products while the link reads
// DRAM as the streamer's copies do. The copies walk a pinned source far larger than the CPU's
// last-level cache a chunk at a time into one device chunk, so they read DRAM, not the cache.
#pragma once

#include <atomic>
#include <cstdint>
#include <thread>

#include "backend/stream_device.h"

namespace nt {

class CopyLoad {
 public:
  // Allocates `bytes` of pinned memory (filled, so every page is in) and a device chunk; throws
  // what the device's allocations throw (NT_E_OUT_OF_MEMORY).
  CopyLoad(StreamDevice& device, uint64_t bytes, uint64_t chunk);
  ~CopyLoad();
  CopyLoad(const CopyLoad&) = delete;
  CopyLoad& operator=(const CopyLoad&) = delete;

  // Copies from start() until stop(); one run per object.
  void start();
  void stop();
  // The copies' rate over the run in GB/s; 0 when a copy failed (nothing measured).
  double gbps_while_running() const;

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

}  // namespace nt
