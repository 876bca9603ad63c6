// What compute devices exist. A missing driver or GPU is data here, never an error: the daemon
// must start and say "no CUDA driver/device" rather than crash (DESIGN §1).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace nt {

struct DeviceInfo {
  std::string backend;  // "cpu" or "cuda"
  int index = 0;
  std::string name;
  uint64_t total_bytes = 0;
  uint64_t free_bytes = 0;
  std::string compute_capability;  // "9.0"; empty for the CPU
  int cores = 0;                   // hardware threads, or streaming multiprocessors
};

struct CudaStatus {
  bool built = false;
  bool available = false;
  std::string reason;  // why not available
  std::string runtime_version;
  std::string driver_version;
};

struct DeviceReport {
  CudaStatus cuda;
  std::vector<DeviceInfo> devices;
};

// The CPU first, then every usable CUDA device.
DeviceReport query_devices();

DeviceInfo query_cpu_device();

// Appends the usable CUDA devices to `out` and says why there are none, if so. Implemented by
// cuda/cuda_devices.cc when the CUDA backend is built, by backend/cuda_not_built.cc otherwise.
CudaStatus query_cuda_devices(std::vector<DeviceInfo>& out);

}  // namespace nt
