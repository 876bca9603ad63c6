#include <gtest/gtest.h>

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

}  // namespace nt
