// measure_links on the CPU StreamDevice: every figure is a positive speed (memcpy speeds for
// "vram" and "h2d" here), storage is measured only with a reader and a range to read.
#include <gtest/gtest.h>

#include "cpu/cpu_stream_device.h"
#include "io/direct_reader.h"
#include "stream/measure_links.h"
#include "stream/stream_test_file.h"

namespace nt {

TEST(MeasureLinksTest, MeasuresEveryLinkOnTheCpuDevice) {
  test::PatternFile file(1 << 20);
  DirectReaderOptions o;
  o.allow_buffered = true;
  auto reader = DirectReader::open(file.path(), 0, o);
  CpuStreamDevice device;
  LinkMeasureOptions m;
  m.bytes = 256 << 10;
  m.repeats = 2;
  const LinkSpeeds links = measure_links(device, reader.get(), 1000, file.size() - 1000, m);
  EXPECT_GT(links.vram_gbps, 0);
  EXPECT_GT(links.h2d_gbps, 0);
  EXPECT_GT(links.storage_gbps, 0);
}

TEST(MeasureLinksTest, LeavesStorageZeroWithoutAReaderOrARange) {
  test::PatternFile file(64 << 10);
  DirectReaderOptions o;
  o.allow_buffered = true;
  auto reader = DirectReader::open(file.path(), 0, o);
  CpuStreamDevice device;
  LinkMeasureOptions m;
  m.bytes = 64 << 10;
  m.repeats = 1;
  EXPECT_EQ(measure_links(device, nullptr, 0, file.size(), m).storage_gbps, 0);
  // Less than one aligned block from an aligned start: nothing O_DIRECT could read.
  EXPECT_EQ(measure_links(device, reader.get(), 8192, 100, m).storage_gbps, 0);
}

}  // namespace nt
