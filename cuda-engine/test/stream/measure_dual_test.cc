// measure_dual on the CPU StreamDevice with a CPU "product" whose time is known (a sleep): the
// rates are bytes over that time, alone and with the copies running beside it.
#include <gtest/gtest.h>

#include <chrono>
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
