// The CUDA side of the device report for builds without nvcc (WITH_CUDA=OFF or AUTO without a
// CUDA compiler): the CPU backend is all there is, and the report says so.
#include "backend/device_report.h"

namespace nt {

CudaStatus query_cuda_devices(std::vector<DeviceInfo>& /*out*/) {
  CudaStatus status;
  status.built = false;
  status.available = false;
  status.reason =
      "not built: this engine was compiled without CUDA (NT_WITH_CUDA=OFF, or NT_WITH_CUDA=AUTO found no nvcc or "
      "no GPU when it was built); to use an NVIDIA GPU, rebuild it where the GPU and the CUDA toolkit's nvcc are "
      "(rm -rf cuda-engine/build && npm run build:native), or for a GPU that is not present with "
      "NT_WITH_CUDA=ON NT_CUDA_ARCHITECTURES=<compute capability, e.g. 86>";
  return status;
}

}  // namespace nt
