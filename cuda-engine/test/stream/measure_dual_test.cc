// measure_dual on the CPU StreamDevice with a CPU "product" whose time is known (a sleep): the
// rates are bytes over that time, alone and with the copies running beside it.
#include <gtest/gtest.h>

#include <chrono>
#include <mutex>
#include <set>
#include <thread>

#include "cpu/cpu_stream_device.h"
#include "stream/measure_dual.h"

namespace nt {

TEST(MeasureDualTest, RatesAreTheWorkBytesOverItsTimeAtEachBatch) {
  CpuStreamDevice device;
  DualMeasureOptions o;
  o.copy_bytes = 1 << 20;
  o.repeats = 2;
  o.batch = 4;
  int calls_at_batch = 0;
  const auto work = [&](int32_t batch) {
    if (batch == 4) ++calls_at_batch;
    std::this_thread::sleep_for(std::chrono::milliseconds(batch == 1 ? 10 : 40));
  };
  const CpuRates r = measure_dual(device, work, 100'000'000, o);
  // 1e8 bytes in 10 ms is 10 GB/s; in 40 ms 2.5 GB/s (sleeps overshoot, never undershoot).
  EXPECT_LE(r.cpu_gbps, 10.0);
  EXPECT_GT(r.cpu_gbps, 5.0);
  EXPECT_LE(r.cpu_batch_gbps, 2.5);
  EXPECT_GT(r.cpu_batch_gbps, 1.25);
  EXPECT_EQ(r.batch, 4);
  EXPECT_EQ(calls_at_batch, 3);  // one untimed, two timed
  EXPECT_LE(r.cpu_together_gbps, 10.0);
  EXPECT_GT(r.cpu_together_gbps, 0);
  EXPECT_GT(r.h2d_together_gbps, 0);  // memcpy copies ran the whole time
}

// The copies of the together run must read DRAM as the streamer's do: they walk the whole source,
// a chunk at a time, rather than re-reading one buffer the CPU's cache may hold.
TEST(MeasureDualTest, TheTogetherCopiesWalkTheWholeSourceAChunkAtATime) {
  struct RecordingDevice : CpuStreamDevice {
    std::mutex mutex;
    std::set<const void*> sources;
    std::set<uint64_t> sizes;
    void upload(void* dst, const void* src, uint64_t bytes) override {
      CpuStreamDevice::upload(dst, src, bytes);
      std::lock_guard<std::mutex> lock(mutex);
      sources.insert(src);
      sizes.insert(bytes);
    }
  } device;
  DualMeasureOptions o;
  o.copy_bytes = 4 << 20;
  o.copy_chunk_bytes = 1 << 20;
  o.repeats = 1;
  o.batch = 1;
  measure_dual(device, [](int32_t) { std::this_thread::sleep_for(std::chrono::milliseconds(20)); }, 1000, o);
  EXPECT_EQ(device.sources.size(), 4u);
  EXPECT_EQ(device.sizes, std::set<uint64_t>{1u << 20});
}

TEST(MeasureDualTest, BatchOneOnlyLeavesTheBatchRateUnmeasured) {
  CpuStreamDevice device;
  DualMeasureOptions o;
  o.copy_bytes = 1 << 20;
  o.repeats = 1;
  o.batch = 1;
  const CpuRates r = measure_dual(device, [](int32_t) { std::this_thread::sleep_for(std::chrono::milliseconds(2)); },
                                  1'000'000, o);
  EXPECT_GT(r.cpu_gbps, 0);
  EXPECT_EQ(r.cpu_batch_gbps, 0);
  EXPECT_EQ(r.batch, 0);
}

}  // namespace nt
