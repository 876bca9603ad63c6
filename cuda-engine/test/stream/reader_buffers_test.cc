// Tier C uploaded straight from the reader's own buffers (the vfio data plane's slots,
// StorageReader::read_through): every acquired slot holds its group's bytes pass after pass, a
// data-plane slot is never asked for again while an upload still reads it, and a device that
// refuses the buffers falls back to staging and says why. The device here defers each upload
// until its buffer is waited for, as a GPU copy runs after its issue, so a slot refilled too
// early gives wrong bytes as well as a count in the fake helper.
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <cstring>
#include <mutex>
#include <thread>
#include <vector>

#include "cpu/cpu_stream_device.h"
#include "io/vfio_reader.h"
#include "model/fake_dataplane.h"
#include "stream/stream_test_file.h"
#include "stream/weight_streamer.h"

namespace nt {

namespace {

using test::FakeDataplane;
using test::PatternFile;
using test::pattern_bytes;

constexpr uint32_t kLba = 512;
constexpr uint32_t kBuffers = 3;
constexpr uint64_t kBufferBytes = 8 << 10;

// Uploads from a held buffer run only when the buffer is waited for or a slot is about to be read.
class DeferredUploadDevice : public CpuStreamDevice {
 public:
  explicit DeferredUploadDevice(FakeDataplane& helper) : helper_(helper) {}

  void copy_async(void* dst, const void* src, uint64_t bytes) override {
    std::lock_guard<std::mutex> lock(mutex_);
    queued_.push_back(Copy{dst, src, bytes});
  }
  void init_holds(int n) override { held_.resize(static_cast<size_t>(n)); }
  void copy_mark_held(int k) override {
    std::lock_guard<std::mutex> lock(mutex_);
    for (const Copy& c : queued_) held_[k].push_back(c);
    queued_.clear();
    helper_.hold(static_cast<uint32_t>(k));
    ++marks_;
  }
  void copy_wait_held(int k) override {
    std::this_thread::sleep_for(std::chrono::milliseconds(1));  // a copy still running
    std::lock_guard<std::mutex> lock(mutex_);
    run(k);
  }
  void copy_mark_filled(int) override {
    std::lock_guard<std::mutex> lock(mutex_);
    for (const Copy& c : queued_) std::memcpy(c.dst, c.src, c.bytes);
    queued_.clear();
  }
  // The slot's copies end before compute reads it (a GPU's filled event comes after them all).
  void compute_wait_filled(int) override {
    std::lock_guard<std::mutex> lock(mutex_);
    for (size_t k = 0; k < held_.size(); ++k) run(static_cast<int>(k));
  }
  int marks() const { return marks_; }

 private:
  struct Copy {
    void* dst;
    const void* src;
    uint64_t bytes;
  };
  void run(int k) {
    for (const Copy& c : held_[k]) std::memcpy(c.dst, c.src, c.bytes);
    held_[k].clear();
    helper_.release(static_cast<uint32_t>(k));
  }

  FakeDataplane& helper_;
  std::mutex mutex_;
  std::vector<Copy> queued_;
  std::vector<std::vector<Copy>> held_;
  std::atomic<int> marks_{0};
};

class RefusingDevice : public CpuStreamDevice {
 public:
  bool register_host(void*, uint64_t, std::string& why) override {
    why = "RLIMIT_MEMLOCK too low";
    return false;
  }
};

// Four groups: tier C spans of several data-plane buffers each (with gaps, unaligned), one
// tier-B tensor among them, and one group of tier B only.
struct Groups {
  std::vector<uint8_t> pinned = pattern_bytes(1ull << 40, 5000);
  std::vector<StreamGroup> groups;
  Groups() {
    uint64_t at = 333;
    for (int g = 0; g < 4; ++g) {
      StreamGroup group;
      group.name = "blk." + std::to_string(g);
      for (int t = 0; t < 3; ++t) {
        StreamedTensor x;
        x.name = group.name + ".t" + std::to_string(t);
        x.from_storage = g != 3 && t != 1;
        x.bytes = x.from_storage ? 9000 + 4111 * static_cast<uint64_t>((g + t) % 3) : pinned.size();
        if (x.from_storage) x.file_offset = at, at += x.bytes + 700;
        if (!x.from_storage) x.pinned = pinned.data();
        group.tensors.push_back(x);
      }
      groups.push_back(group);
    }
  }
};

int wrong_tensors(const StreamGroup& group, const uint8_t* slot) {
  int wrong = 0;
  for (const StreamedTensor& t : group.tensors) {
    const std::vector<uint8_t> want =
        t.from_storage ? pattern_bytes(t.file_offset, t.bytes) : std::vector<uint8_t>(t.pinned, t.pinned + t.bytes);
    wrong += std::memcmp(slot + t.slot_offset, want.data(), t.bytes) != 0;
  }
  return wrong;
}

// Runs `passes` passes, checking each slot; returns the wrong tensors seen.
int run_passes(WeightStreamer& streamer, int passes) {
  int wrong = 0;
  for (int p = 0; p < passes; ++p) {
    for (size_t g = 0; g < streamer.groups().size(); ++g) {
      wrong += wrong_tensors(streamer.groups()[g], streamer.acquire(g));
      streamer.release(g);
    }
    streamer.end_pass(1);
  }
  return wrong;
}

StreamerOptions three_slots() {
  StreamerOptions o;
  o.slots = 3;
  return o;
}

}  // namespace

TEST(ReaderBuffersTest, TierCIsUploadedFromTheDataPlaneSlotsNeverRefilledWhileHeld) {
  PatternFile file(200 * 1024);
  FakeDataplane helper(file.path(), kLba, kBuffers, kBufferBytes);
  auto reader = VfioReader::map(helper.fd(), "pattern", VfioReaderOptions{});
  DeferredUploadDevice device(helper);
  Groups g;
  WeightStreamer streamer(device, reader.get(), g.groups, three_slots());
  EXPECT_EQ(0u, streamer.staging_bytes()) << "no staging of its own";
  EXPECT_EQ(0, run_passes(streamer, 4));
  EXPECT_EQ(0u, helper.reused_while_held()) << "a slot was asked for while an upload still read it";
  EXPECT_GT(device.marks(), 4 * 3 * 3) << "every group's tier C came in several slot-sized pieces";
  EXPECT_EQ(0u, helper.refused());
  const StreamStats stats = streamer.stats();
  EXPECT_EQ("reader-buffers", stats.tier_c_path);
  EXPECT_EQ("", stats.tier_c_fallback);
  EXPECT_GT(stats.bytes_copied, stats.bytes_read / 2);
}

TEST(ReaderBuffersTest, ADeviceThatRefusesTheBuffersFallsBackToStagingAndSaysWhy) {
  PatternFile file(200 * 1024);
  FakeDataplane helper(file.path(), kLba, kBuffers, kBufferBytes);
  auto reader = VfioReader::map(helper.fd(), "pattern", VfioReaderOptions{});
  RefusingDevice device;
  Groups g;
  WeightStreamer streamer(device, reader.get(), g.groups, three_slots());
  EXPECT_GT(streamer.staging_bytes(), 0u);
  EXPECT_EQ(0, run_passes(streamer, 2));
  EXPECT_EQ("staging", streamer.stats().tier_c_path);
  EXPECT_EQ("RLIMIT_MEMLOCK too low", streamer.stats().tier_c_fallback);
}

}  // namespace nt
