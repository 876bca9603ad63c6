// The dual path's calibration (tier D, tier/tier_plan.h): how fast the CPU backend's products
// read weights from pinned RAM at batch 1 and at a larger batch, and how fast it and the H2D
// copies go when both run at once (they share DRAM). The CPU's work comes in as a function, so
// that this layer needs no CPU backend: model/calibration.cc passes the real products.
#pragma once

#include <cstdint>
#include <functional>

#include "backend/stream_device.h"
#include "tier/tier_plan.h"

namespace nt {

struct DualMeasureOptions {
  // The together run's copies cycle through this much pinned memory, copy_chunk_bytes at a time.
  // It must be far larger than the CPU's last-level cache: a 64 MiB source (v2) sat in a 300 MiB
  // L3, so the copies did not compete for DRAM, and the CPU measured 45 GB/s "together" where the
  // real pass, streaming ~9 GiB of tier B, let it read ~31.
  uint64_t copy_bytes = 1ull << 30;
  uint64_t copy_chunk_bytes = 64ull << 20;
  int repeats = 3;                    // the CPU's runs alone (best kept) and together (all timed)
  int32_t batch = 8;                  // the larger batch B_cpu is measured at
};

// cpu_work(batch) runs the CPU backend's products over `work_bytes` of weight bytes once for
// `batch` tokens. Returns every field of CpuRates in GB/s of weight (or copied) bytes. Throws
// what the device's allocations throw (NT_E_OUT_OF_MEMORY).
CpuRates measure_dual(StreamDevice& device, const std::function<void(int32_t batch)>& cpu_work, uint64_t work_bytes,
                      const DualMeasureOptions& options);

}  // namespace nt
