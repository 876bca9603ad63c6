// The weight streamer on the CUDA StreamDevice: slots read on the compute stream hold their
// group's bytes pass after pass, even when the compute stream runs late behind the host (the
// released / filled events, not the host, must keep the copies off a slot still being read).
// Skips where no CUDA device is present; compiled only with the CUDA backend.
#if NT_WITH_CUDA

#include <cuda_runtime_api.h>
#include <gtest/gtest.h>

#include <chrono>
#include <cstring>
#include <thread>

#include "core/engine_error.h"
#include "cuda/cuda_stream_device.h"
#include "io/direct_reader.h"
#include "stream/stream_test_file.h"
#include "stream/weight_streamer.h"

namespace nt {

namespace {

bool have_cuda_device() {
  int n = 0;
  const bool ok = cudaGetDeviceCount(&n) == cudaSuccess && n > 0;
  cudaGetLastError();
  return ok;
}

// Holds the compute stream up, as a long kernel would.
void CUDART_CB hold_stream(void*) { std::this_thread::sleep_for(std::chrono::milliseconds(1)); }

}  // namespace

TEST(CudaStreamDeviceTest, StreamedSlotsHoldTheirBytesWhileTheComputeStreamRunsLate) {
  if (!have_cuda_device()) GTEST_SKIP() << "no CUDA device";
  test::PatternFile file(400 * 1024 + 99);
  DirectReaderOptions o;
  o.allow_buffered = true;
  auto reader = DirectReader::open(file.path(), 0, o);
  CudaStreamDevice device(0);

  // Five groups: tier C only, tier B only, mixed; tier-B bytes in pinned memory.
  std::vector<StreamGroup> groups;
  std::vector<uint8_t*> pinned;
  uint64_t file_at = 333;
  for (int g = 0; g < 5; ++g) {
    StreamGroup group;
    group.name = "blk." + std::to_string(g);
    for (int t = 0; t < 3; ++t) {
      StreamedTensor x;
      x.name = group.name + ".t" + std::to_string(t);
      x.bytes = 2000 + 4099 * static_cast<uint64_t>((g + t) % 4);
      x.from_storage = (g + t) % 3 != 0;
      if (x.from_storage) {
        x.file_offset = file_at;
        file_at += x.bytes + 100;
      } else {
        const std::vector<uint8_t> bytes = test::pattern_bytes((1ull << 40) + 1000 * pinned.size(), x.bytes);
        pinned.push_back(static_cast<uint8_t*>(device.alloc_pinned(x.bytes)));
        std::memcpy(pinned.back(), bytes.data(), x.bytes);
        x.pinned = pinned.back();
      }
      group.tensors.push_back(x);
    }
    groups.push_back(group);
  }

  int wrong = 0;
  StreamStats stats;
  {
    StreamerOptions so;
    so.slots = 3;
    WeightStreamer streamer(device, reader.get(), groups, so);
    const auto& laid_out = streamer.groups();
    auto* out = static_cast<uint8_t*>(device.alloc_pinned(streamer.slot_bytes() * laid_out.size()));
    cudaStream_t compute = device.compute_stream();
    for (int pass = 0; pass < 20; ++pass) {
      const auto t0 = std::chrono::steady_clock::now();
      for (size_t g = 0; g < laid_out.size(); ++g) {
        const uint8_t* slot = streamer.acquire(g);
        ASSERT_EQ(cudaLaunchHostFunc(compute, hold_stream, nullptr), cudaSuccess);
        for (const StreamedTensor& t : laid_out[g].tensors) {
          ASSERT_EQ(cudaMemcpyAsync(out + g * streamer.slot_bytes() + t.slot_offset, slot + t.slot_offset, t.bytes,
                                    cudaMemcpyDeviceToHost, compute),
                    cudaSuccess);
        }
        streamer.release(g);  // at once: the host runs ahead, the events must hold the copies back
      }
      ASSERT_EQ(cudaStreamSynchronize(compute), cudaSuccess);
      for (size_t g = 0; g < laid_out.size(); ++g) {
        for (const StreamedTensor& t : laid_out[g].tensors) {
          const std::vector<uint8_t> want =
              t.from_storage ? test::pattern_bytes(t.file_offset, t.bytes) : std::vector<uint8_t>(t.pinned, t.pinned + t.bytes);
          wrong += std::memcmp(out + g * streamer.slot_bytes() + t.slot_offset, want.data(), t.bytes) != 0;
        }
      }
      streamer.end_pass(std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count());
    }
    stats = streamer.stats();
    device.free_pinned(out);
  }
  for (uint8_t* p : pinned) device.free_pinned(p);
  EXPECT_EQ(wrong, 0);
  EXPECT_EQ(stats.passes, 20u);
  EXPECT_GT(stats.h2d_ms, 0);
  EXPECT_GT(stats.bytes_read, 0u);
}

TEST(CudaStreamDeviceTest, ReportsOutOfMemoryNamingTheSize) {
  if (!have_cuda_device()) GTEST_SKIP() << "no CUDA device";
  CudaStreamDevice device(0);
  try {
    device.alloc_device(1ull << 50);
    FAIL() << "a petabyte allocation succeeded";
  } catch (const EngineError& e) {
    EXPECT_EQ(e.code(), "NT_E_OUT_OF_MEMORY");
    EXPECT_NE(std::string(e.what()).find(std::to_string(1ull << 50)), std::string::npos) << e.what();
  }
  void* p = device.alloc_device(1 << 20);  // the device is still usable
  device.free_device(p);
}

TEST(CudaStreamDeviceTest, MissingDeviceIsNoDevice) {
  try {
    CudaStreamDevice device(1000);
    FAIL() << "device 1000 opened";
  } catch (const EngineError& e) {
    EXPECT_EQ(e.code(), "NT_E_NO_DEVICE");
  }
}

}  // namespace nt

#endif  // NT_WITH_CUDA
