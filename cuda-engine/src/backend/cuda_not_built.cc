// The CUDA side of the device report for builds without nvcc (WITH_CUDA=OFF or AUTO without a
// CUDA compiler): the CPU backend is all there is, and the report says so.
#include "backend/device_report.h"

namespace nt {

CudaStatus query_cuda_devices(std::vector<DeviceInfo>& /*out*/) {
  CudaStatus status;
  status.built = false;
  status.available = false;
  status.reason = "not built: this engine was compiled without CUDA (WITH_CUDA=OFF, or no nvcc when it was built); "
                  "to use an NVIDIA GPU, rebuild it with the CUDA toolkit's nvcc on PATH (npm run build:native)";
  return status;
}

}  // namespace nt
