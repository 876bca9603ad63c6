#include <gtest/gtest.h>
#include <unistd.h>

#include <string>

#include "backend/cuda_unavailable_reason.h"
#include "backend/device_report.h"

namespace nt {

TEST(DeviceReport, ListsTheCpuFirstWithItsMemoryAndThreads) {
  const DeviceReport report = query_devices();
  ASSERT_FALSE(report.devices.empty());
  EXPECT_EQ(report.devices[0].backend, "cpu");
  EXPECT_GT(report.devices[0].total_bytes, 0u);
  EXPECT_GT(report.devices[0].cores, 0);
}

TEST(DeviceReport, ExplainsWhyCudaIsUnavailableInsteadOfFailing) {
  const DeviceReport report = query_devices();
  EXPECT_EQ(report.cuda.built, NT_WITH_CUDA != 0);
  bool any_cuda = false;
  for (const auto& d : report.devices) any_cuda = any_cuda || d.backend == "cuda";
  EXPECT_EQ(report.cuda.available, any_cuda);
  if (!report.cuda.available) EXPECT_FALSE(report.cuda.reason.empty());
}


// What "CUDA unavailable" says: what is missing and what to do, whatever cudart's own error says
// (issue 16). The wording is a pure function of the error and the machine's facts.
namespace {

CudaMachineFacts full_driver() {
  CudaMachineFacts facts;
  facts.driver_library = true;
  facts.device_node = true;
  facts.runtime_version = "13.0";
  facts.driver_version = "12.4";
  facts.built_architectures = "80,90";
  return facts;
}

bool has(const std::string& text, const std::string& part) { return text.find(part) != std::string::npos; }

}  // namespace

TEST(CudaUnavailableReason, WithoutTheDriverLibrarySaysInstallTheDriverNotUpdateIt) {
  CudaMachineFacts facts = full_driver();
  facts.driver_library = false;
  facts.device_node = false;
  // cudart answers "insufficient driver" when libcuda is missing altogether.
  const std::string reason = cuda_init_failure_reason(cuda_error::kInsufficientDriver, "CUDA driver version is insufficient", facts);
  EXPECT_TRUE(has(reason, "not installed")) << reason;
  EXPECT_TRUE(has(reason, "libcuda.so.1")) << reason;
  EXPECT_FALSE(has(reason, "too old")) << reason;
  EXPECT_TRUE(has(reason, "--backend cpu")) << reason;
}

TEST(CudaUnavailableReason, WithoutADeviceNodeNamesItAndTheKernelModule) {
  CudaMachineFacts facts = full_driver();
  facts.device_node = false;
  const std::string reason = cuda_init_failure_reason(cuda_error::kNoDevice, "no CUDA-capable device is detected", facts);
  EXPECT_TRUE(has(reason, "/dev/nvidia")) << reason;
  EXPECT_TRUE(has(reason, "modprobe nvidia")) << reason;
}

TEST(CudaUnavailableReason, AnOldDriverSaysBothCudaVersions) {
  const std::string reason = cuda_init_failure_reason(cuda_error::kInsufficientDriver, "insufficient", full_driver());
  EXPECT_TRUE(has(reason, "too old")) << reason;
  EXPECT_TRUE(has(reason, "CUDA 12.4")) << reason;
  EXPECT_TRUE(has(reason, "CUDA 13.0")) << reason;
}

TEST(CudaUnavailableReason, TellsApartNoDeviceBusyDevicesAndAModuleLibraryMismatch) {
  EXPECT_TRUE(has(cuda_init_failure_reason(cuda_error::kNoDevice, "x", full_driver()), "CUDA_VISIBLE_DEVICES"));
  EXPECT_TRUE(has(cuda_init_failure_reason(cuda_error::kDevicesUnavailable, "x", full_driver()), "exclusive-process"));
  EXPECT_TRUE(has(cuda_init_failure_reason(cuda_error::kSystemDriverMismatch, "x", full_driver()), "reboot"));
  const std::string other = cuda_init_failure_reason(999, "something odd", full_driver());
  EXPECT_TRUE(has(other, "something odd")) << other;
  EXPECT_TRUE(has(other, "999")) << other;
}

TEST(CudaUnavailableReason, ADeviceWithoutAKernelImageGetsTheArchitectureToBuildFor) {
  for (const int error : {cuda_error::kNoKernelImageForDevice, cuda_error::kUnsupportedPtxVersion}) {
    const std::string reason = cuda_device_failure_reason(0, "Tesla T4", 7, 5, error, "no kernel image", full_driver());
    EXPECT_TRUE(has(reason, "device 0 (Tesla T4, sm_75)")) << reason;
    EXPECT_TRUE(has(reason, "compiled for CUDA architectures 80,90")) << reason;
    EXPECT_TRUE(has(reason, "NT_CUDA_ARCHITECTURES=75")) << reason;
  }
  const std::string other = cuda_device_failure_reason(1, "A100", 8, 0, 700, "an illegal memory access", full_driver());
  EXPECT_TRUE(has(other, "an illegal memory access")) << other;
}

TEST(CudaUnavailableReason, ProbesThisMachineWithoutACudaCall) {
  const CudaMachineFacts facts = probe_cuda_machine();
  // Without /dev/nvidiactl (this CI machine, a container without the GPU) there is no device node.
  if (access("/dev/nvidiactl", F_OK) != 0) EXPECT_FALSE(facts.device_node);
  // On a machine with no NVIDIA driver, that is what the reason says.
  if (!facts.driver_library) {
    EXPECT_TRUE(has(cuda_init_failure_reason(cuda_error::kInsufficientDriver, "insufficient", facts), "not installed"));
  }
}

TEST(CudaUnavailableReason, ABuildWithoutCudaSaysHowToGetIt) {
  if (NT_WITH_CUDA != 0) GTEST_SKIP() << "this build has CUDA";
  const DeviceReport report = query_devices();
  EXPECT_TRUE(has(report.cuda.reason, "not built")) << report.cuda.reason;
  EXPECT_TRUE(has(report.cuda.reason, "nvcc")) << report.cuda.reason;
}

}  // namespace nt
