// Why CUDA cannot be used, in words that say what is missing and what to do: the cudaError a
// CUDA call returned means little to a user ("CUDA driver version is insufficient for CUDA runtime
// version" when no driver is installed at all). A pure function of the error and the machine's
// facts, so the wording is tested without a GPU; cuda/cuda_devices.cc gathers the facts.
#pragma once

#include <string>

namespace nt {

// The cudaError_t values this wording tells apart. They are part of the CUDA runtime's stable API
// (cuda/cuda_devices.cc checks them against driver_types.h); kept as ints here so the backend
// layer needs no CUDA header and builds without the toolkit.
namespace cuda_error {
inline constexpr int kInitializationError = 3;
inline constexpr int kInsufficientDriver = 35;
inline constexpr int kDevicesUnavailable = 46;
inline constexpr int kNoDevice = 100;
inline constexpr int kNoKernelImageForDevice = 209;
inline constexpr int kUnsupportedPtxVersion = 222;
inline constexpr int kSystemDriverMismatch = 803;
}  // namespace cuda_error

// What the machine has, as far as CUDA needs it.
struct CudaMachineFacts {
  bool driver_library = false;      // libcuda.so.1 loads
  bool device_node = false;         // /dev/nvidiactl and a /dev/nvidiaN exist
  std::string runtime_version;      // this build's CUDA runtime, "13.0"
  std::string driver_version;       // the CUDA version the driver supports, "12.4"; empty if unknown
  std::string built_architectures;  // NT_CUDA_ARCHITECTURES, "80,90"
};

// Why the CUDA runtime's initialisation (cudaGetDeviceCount) failed with `error` (its text is
// `error_text`), and what to do about it.
std::string cuda_init_failure_reason(int error, const std::string& error_text, const CudaMachineFacts& facts);

// Why device `index` (`name`, compute capability `major`.`minor`) cannot run this build's kernels
// (the probe kernel failed with `error`), and what to do about it.
std::string cuda_device_failure_reason(int index, const std::string& name, int major, int minor, int error,
                                       const std::string& error_text, const CudaMachineFacts& facts);

// Whether this machine has the NVIDIA driver's user library and device nodes (reads the filesystem
// and tries to load libcuda.so.1; no CUDA call).
CudaMachineFacts probe_cuda_machine();

}  // namespace nt
