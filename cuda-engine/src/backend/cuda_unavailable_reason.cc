#include "backend/cuda_unavailable_reason.h"

#include <dlfcn.h>
#include <glob.h>
#include <unistd.h>

namespace nt {

namespace {

const char* kUseCpu = "; meanwhile --backend cpu runs on the CPU";

}  // namespace

std::string cuda_init_failure_reason(int error, const std::string& error_text, const CudaMachineFacts& facts) {
  // The facts come first: without the driver library, cudart reports "insufficient driver",
  // which would send a user hunting for a newer driver when none is installed.
  if (!facts.driver_library) {
    return "the NVIDIA driver is not installed: libcuda.so.1 (the driver's library) cannot be loaded. Install the "
           "NVIDIA driver (Debian: apt install nvidia-driver; check with nvidia-smi), or in a container run it with "
           "the GPU passed through (docker --gpus all)" + std::string(kUseCpu);
  }
  if (!facts.device_node) {
    return "the NVIDIA driver's library is installed but there is no device node (/dev/nvidiactl, /dev/nvidia0): "
           "its kernel module is not loaded (modprobe nvidia, or reboot after installing the driver), or in a "
           "container the GPU devices are not passed through" + std::string(kUseCpu);
  }
  switch (error) {
    case cuda_error::kInsufficientDriver:
      return "the NVIDIA driver is too old for this engine: it supports CUDA " +
             (facts.driver_version.empty() ? std::string("(unknown)") : facts.driver_version) +
             ", the engine was built with CUDA " + facts.runtime_version + ". Update the driver to one for CUDA " +
             facts.runtime_version + " or newer, or rebuild the engine with an older CUDA toolkit" + kUseCpu;
    case cuda_error::kSystemDriverMismatch:
      return "the NVIDIA driver's kernel module and its library are of different versions (a driver update without "
             "a reboot?): reboot, or reload the nvidia module" + std::string(kUseCpu);
    case cuda_error::kNoDevice:
      return "the NVIDIA driver finds no CUDA device: check nvidia-smi, and that CUDA_VISIBLE_DEVICES (if set) "
             "names one" + std::string(kUseCpu);
    case cuda_error::kDevicesUnavailable:
      return "every CUDA device is busy or unavailable (exclusive-process compute mode held by another process? "
             "see nvidia-smi)" + std::string(kUseCpu);
    default:
      return "the CUDA runtime failed to start: " + error_text + " (CUDA error " + std::to_string(error) + ")" +
             kUseCpu;
  }
}

std::string cuda_device_failure_reason(int index, const std::string& name, int major, int minor, int error,
                                       const std::string& error_text, const CudaMachineFacts& facts) {
  const std::string device = "device " + std::to_string(index) + " (" + name + ", sm_" + std::to_string(major) +
                             std::to_string(minor) + ")";
  if (error == cuda_error::kNoKernelImageForDevice || error == cuda_error::kUnsupportedPtxVersion) {
    return device + " has no kernel image in this build, which was compiled for CUDA architectures " +
           (facts.built_architectures.empty() ? std::string("(unknown)") : facts.built_architectures) +
           ": rebuild with NT_CUDA_ARCHITECTURES=" + std::to_string(major) + std::to_string(minor) +
           " (or native) to run on it";
  }
  return device + " cannot run this engine's kernels: " + error_text + " (CUDA error " + std::to_string(error) + ")";
}

CudaMachineFacts probe_cuda_machine() {
  CudaMachineFacts facts;
  // RTLD_LAZY: only whether it loads matters; the handle is closed again (cudart keeps its own).
  if (void* handle = dlopen("libcuda.so.1", RTLD_LAZY | RTLD_LOCAL)) {
    facts.driver_library = true;
    dlclose(handle);
  }
  glob_t nodes{};
  const bool numbered = glob("/dev/nvidia[0-9]*", 0, nullptr, &nodes) == 0 && nodes.gl_pathc > 0;
  globfree(&nodes);
  facts.device_node = numbered && access("/dev/nvidiactl", F_OK) == 0;
  return facts;
}

}  // namespace nt
