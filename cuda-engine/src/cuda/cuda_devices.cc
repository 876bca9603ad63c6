// CUDA device discovery. cudart is linked statically and loads libcuda.so itself at the first
// call, so a machine without the NVIDIA driver gets an error code here (cudaErrorInsufficientDriver
// or cudaErrorNoDevice), which we report as data, worded by backend/cuda_unavailable_reason.h.
#include <cuda_runtime_api.h>

#include <string>

#include "backend/cuda_unavailable_reason.h"
#include "backend/device_report.h"
#include "cuda/probe_kernel.h"

namespace nt {

// The wording tells these errors apart by number without including CUDA headers; they must be the runtime's.
static_assert(cuda_error::kInitializationError == cudaErrorInitializationError);
static_assert(cuda_error::kInsufficientDriver == cudaErrorInsufficientDriver);
static_assert(cuda_error::kDevicesUnavailable == cudaErrorDevicesUnavailable);
static_assert(cuda_error::kNoDevice == cudaErrorNoDevice);
static_assert(cuda_error::kNoKernelImageForDevice == cudaErrorNoKernelImageForDevice);
static_assert(cuda_error::kUnsupportedPtxVersion == cudaErrorUnsupportedPtxVersion);
static_assert(cuda_error::kSystemDriverMismatch == cudaErrorSystemDriverMismatch);

namespace {

std::string version_text(int v) {  // 13000 -> "13.0"
  return std::to_string(v / 1000) + "." + std::to_string((v % 1000) / 10);
}

DeviceInfo describe(int index, const cudaDeviceProp& prop) {
  DeviceInfo info;
  info.backend = "cuda";
  info.index = index;
  info.name = prop.name;
  info.compute_capability = std::to_string(prop.major) + "." + std::to_string(prop.minor);
  info.cores = prop.multiProcessorCount;
  size_t free_bytes = 0, total_bytes = 0;
  if (cudaSetDevice(index) == cudaSuccess && cudaMemGetInfo(&free_bytes, &total_bytes) == cudaSuccess) {
    info.free_bytes = free_bytes;
    info.total_bytes = total_bytes;
  } else {
    info.total_bytes = prop.totalGlobalMem;
  }
  return info;
}

}  // namespace

CudaStatus query_cuda_devices(std::vector<DeviceInfo>& out) {
  CudaStatus status;
  status.built = true;
  int runtime = 0, driver = 0;
  cudaRuntimeGetVersion(&runtime);
  status.runtime_version = version_text(runtime);
  if (cudaDriverGetVersion(&driver) == cudaSuccess && driver > 0) status.driver_version = version_text(driver);

  CudaMachineFacts facts = probe_cuda_machine();
  facts.runtime_version = status.runtime_version;
  facts.driver_version = status.driver_version;
  facts.built_architectures = NT_CUDA_ARCHITECTURES;
  int count = 0;
  const cudaError_t err = cudaGetDeviceCount(&count);
  if (err != cudaSuccess || count == 0) {
    const cudaError_t shown = err != cudaSuccess ? err : cudaErrorNoDevice;
    status.reason = cuda_init_failure_reason(shown, cudaGetErrorString(shown), facts);
    cudaGetLastError();  // clear the sticky error so later calls start clean
    return status;
  }
  std::string refused;
  for (int i = 0; i < count; ++i) {
    cudaDeviceProp prop{};
    if (cudaGetDeviceProperties(&prop, i) != cudaSuccess) continue;
    const cudaError_t probe = run_probe_kernel(i);
    if (probe != cudaSuccess) {
      refused += std::string(refused.empty() ? "" : "; ") +
                 cuda_device_failure_reason(i, prop.name, prop.major, prop.minor, probe, cudaGetErrorString(probe), facts);
      cudaGetLastError();
      continue;
    }
    out.push_back(describe(i, prop));
  }
  for (const auto& d : out) status.available = status.available || d.backend == "cuda";
  if (!status.available) status.reason = "no usable CUDA device: " + refused;
  return status;
}

}  // namespace nt
