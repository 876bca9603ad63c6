// WeightStreamer on the CPU StreamDevice: every acquired slot holds exactly its group's bytes,
// pass after pass; the ring never lets a copy overwrite a slot the compute side still holds;
// errors reach acquire() with their code; and the destructor never hangs.
#include <gtest/gtest.h>

#include <chrono>
#include <cstring>
#include <mutex>
#include <thread>

#include "core/engine_error.h"
#include "cpu/cpu_stream_device.h"
#include "error_code_of.h"
#include "io/direct_reader.h"
#include "stream/stream_test_file.h"
#include "stream/weight_streamer.h"

namespace nt {

namespace {

using test::PatternFile;
using test::error_code_of;
using test::pattern_bytes;

// Seven groups like a model's: C-only, B-only and mixed, with odd sizes and unaligned offsets.
// Tier-B tensors get their own pinned pattern (offset by 1 << 40, so it is no file range).
struct Fixture {
  PatternFile file{300 * 1024 + 333};
  std::unique_ptr<DirectReader> reader;
  std::vector<std::vector<uint8_t>> pinned;  // owned tier-B bytes
  std::vector<StreamGroup> groups;

  Fixture() {
    DirectReaderOptions o;
    o.io_threads = 2;
    o.request_bytes = 8 << 10;
    o.allow_buffered = true;
    reader = DirectReader::open(file.path(), 0, o);
    pinned.reserve(64);
    uint64_t file_at = 100;
    for (int g = 0; g < 7; ++g) {
      StreamGroup group;
      group.name = "blk." + std::to_string(g);
      for (int t = 0; t < 1 + g % 3; ++t) {
        StreamedTensor x;
        x.name = group.name + ".t" + std::to_string(t);
        x.bytes = 1000 + 3001 * static_cast<uint64_t>((g * 3 + t) % 5);
        x.from_storage = g % 3 != 1 && !(g % 3 == 2 && t == 0);  // g%3: 0 → C, 1 → B, 2 → mixed
        if (x.from_storage) {
          x.file_offset = file_at;
          file_at += x.bytes + 517;  // gaps, as between a layer's tensors in a GGUF
        } else {
          pinned.push_back(pattern_bytes((1ull << 40) + 7919 * pinned.size(), x.bytes));
          x.pinned = pinned.back().data();
        }
        group.tensors.push_back(x);
      }
      groups.push_back(group);
    }
  }

  static std::vector<uint8_t> expected(const StreamedTensor& t) {
    return t.from_storage ? pattern_bytes(t.file_offset, t.bytes)
                          : std::vector<uint8_t>(t.pinned, t.pinned + t.bytes);
  }
};

// Checks every tensor of group g in its acquired slot; returns the number of wrong tensors.
int wrong_tensors(const StreamGroup& group, const uint8_t* slot) {
  int wrong = 0;
  for (const StreamedTensor& t : group.tensors)
    wrong += std::memcmp(slot + t.slot_offset, Fixture::expected(t).data(), t.bytes) != 0;
  return wrong;
}

StreamerOptions with_slots(int slots) {
  StreamerOptions o;
  o.slots = slots;
  return o;
}

}  // namespace

TEST(WeightStreamerTest, EverySlotHoldsItsGroupsBytesForFiftyPasses) {
  for (int slots : {3, 5}) {
    Fixture f;
    CpuStreamDevice device;
    WeightStreamer streamer(device, f.reader.get(), f.groups, with_slots(slots));
    const auto& groups = streamer.groups();
    uint64_t pass_bytes = 0;
    for (const StreamGroup& g : groups) {
      for (const StreamedTensor& t : g.tensors) {
        EXPECT_EQ(t.slot_offset % 256, 0u) << t.name;
        EXPECT_LE(t.slot_offset + t.bytes, streamer.slot_bytes()) << t.name;
        pass_bytes += t.bytes;
      }
    }
    int wrong = 0;
    for (int pass = 0; pass < 50; ++pass) {
      for (size_t g = 0; g < groups.size(); ++g) {
        const uint8_t* slot = streamer.acquire(g);
        wrong += wrong_tensors(groups[g], slot);
        streamer.release(g);
      }
      streamer.end_pass(1.0);
    }
    EXPECT_EQ(wrong, 0) << slots << " slots";
    const StreamStats stats = streamer.stats();
    EXPECT_EQ(stats.passes, 50u);
    // The copy thread may already have prefetched into the next pass, at most `slots` groups.
    EXPECT_GE(stats.bytes_copied, 50 * pass_bytes);
    EXPECT_LE(stats.bytes_copied, 50 * pass_bytes + slots * streamer.slot_bytes());
    EXPECT_GE(stats.bytes_read, 50 * pass_bytes / 2);
    EXPECT_GT(streamer.staging_bytes(), 0u);
  }
}

TEST(WeightStreamerTest, TierBOnlyGroupsNeedNoReader) {
  Fixture f;
  std::vector<StreamGroup> groups;
  for (const StreamGroup& g : f.groups)
    if (g.name == "blk.1" || g.name == "blk.4") groups.push_back(g);
  CpuStreamDevice device;
  WeightStreamer streamer(device, nullptr, groups, with_slots(3));
  EXPECT_EQ(streamer.staging_bytes(), 0u);
  int wrong = 0;
  for (int pass = 0; pass < 20; ++pass) {
    for (size_t g = 0; g < groups.size(); ++g) {
      wrong += wrong_tensors(streamer.groups()[g], streamer.acquire(g));
      streamer.release(g);
    }
  }
  EXPECT_EQ(wrong, 0);
}

// Tensors go to the device in pieces of at most copy_piece_bytes (so that a small copy issued
// meanwhile waits behind one piece at most), and every slot still holds its tensors' bytes.
TEST(WeightStreamerTest, TensorsAreCopiedInPiecesOfAtMostThePieceSize) {
  struct PieceDevice : CpuStreamDevice {
    std::mutex mutex;
    uint64_t largest = 0, pieces = 0;
    void copy_async(void* dst, const void* src, uint64_t bytes) override {
      {
        std::lock_guard<std::mutex> lock(mutex);
        largest = std::max(largest, bytes);
        ++pieces;
      }
      CpuStreamDevice::copy_async(dst, src, bytes);
    }
  } device;
  Fixture f;
  std::vector<StreamGroup> groups;
  uint64_t tensors = 0, largest_tensor = 0;
  for (const StreamGroup& g : f.groups) {
    if (g.name != "blk.1" && g.name != "blk.4") continue;
    groups.push_back(g);
    for (const StreamedTensor& t : g.tensors) {
      ++tensors;
      largest_tensor = std::max(largest_tensor, t.bytes);
    }
  }
  StreamerOptions options = with_slots(3);
  options.copy_piece_bytes = 100;
  ASSERT_GT(largest_tensor, 2 * options.copy_piece_bytes);
  WeightStreamer streamer(device, nullptr, groups, options);
  int wrong = 0;
  for (size_t g = 0; g < groups.size(); ++g) {
    wrong += wrong_tensors(streamer.groups()[g], streamer.acquire(g));
    streamer.release(g);
  }
  EXPECT_EQ(wrong, 0);
  std::lock_guard<std::mutex> lock(device.mutex);
  EXPECT_LE(device.largest, options.copy_piece_bytes);
  EXPECT_GT(device.pieces, tensors);
}

// The dual path's per-pass choice (issue 13): tier-D groups are optional, streamed only in the
// passes that do not compute them on the CPU; each pass declares which it is, and every group it
// acquires still holds its own bytes.
TEST(WeightStreamerTest, OptionalGroupsStreamOnlyInThePassesThatTakeThem) {
  for (int slots : {3, 4}) {
    Fixture f;
    f.groups[1].optional = true;  // tier-B only groups, as tier D is
    f.groups[4].optional = true;
    CpuStreamDevice device;
    WeightStreamer streamer(device, f.reader.get(), f.groups, with_slots(slots));
    const auto& groups = streamer.groups();
    int wrong = 0;
    uint64_t want_copied = 0;
    for (int pass = 0; pass < 40; ++pass) {
      const bool skip = pass % 3 != 1;  // runs of both kinds, and changes in both directions
      streamer.begin_pass(skip);
      for (size_t g = 0; g < groups.size(); ++g) {
        if (skip && groups[g].optional) continue;
        wrong += wrong_tensors(groups[g], streamer.acquire(g));
        streamer.release(g);
        for (const StreamedTensor& t : groups[g].tensors) want_copied += t.bytes;
      }
      streamer.end_pass(1.0);
    }
    EXPECT_EQ(wrong, 0) << slots << " slots";
    // Nothing was copied for the skipped groups: only the next pass's first group ran ahead.
    EXPECT_GE(streamer.stats().bytes_copied, want_copied);
    EXPECT_LE(streamer.stats().bytes_copied, want_copied + streamer.slot_bytes());
  }
}

TEST(WeightStreamerTest, AnUndeclaredPassRunsAheadOnlyToItsFirstOptionalGroup) {
  Fixture f;
  f.groups[1].optional = true;
  CpuStreamDevice device;
  WeightStreamer streamer(device, f.reader.get(), f.groups, with_slots(3));
  uint64_t first = 0;
  for (const StreamedTensor& t : f.groups[0].tensors) first += t.bytes;
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(5);
  while (streamer.stats().bytes_copied < first && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  std::this_thread::sleep_for(std::chrono::milliseconds(50));  // room to run further, were it allowed
  EXPECT_EQ(streamer.stats().bytes_copied, first);
  EXPECT_EQ(wrong_tensors(streamer.groups()[0], streamer.acquire(0)), 0);
  streamer.release(0);
  EXPECT_EQ(error_code_of([&] { streamer.acquire(1); }), "NT_E_INTERNAL");  // not declared
  streamer.begin_pass(true);
  EXPECT_EQ(error_code_of([&] { streamer.acquire(1); }), "NT_E_INTERNAL");  // skipped: 2 is next
  EXPECT_EQ(wrong_tensors(streamer.groups()[2], streamer.acquire(2)), 0);
  streamer.release(2);
}

TEST(WeightStreamerTest, OptionalGroupsFromStorageAreRefused) {
  Fixture f;
  f.groups[0].optional = true;  // tier C: the CPU could not read it in place
  CpuStreamDevice device;
  EXPECT_EQ(error_code_of([&] { WeightStreamer(device, f.reader.get(), f.groups, with_slots(3)); }), "NT_E_BAD_REQUEST");
}

TEST(WeightStreamerTest, IoErrorMidStreamReachesAcquireAndStays) {
  Fixture f;
  f.groups[3].tensors[0].from_storage = true;
  f.groups[3].tensors[0].file_offset = f.file.size() + 100000;  // beyond the end of the file
  CpuStreamDevice device;
  WeightStreamer streamer(device, f.reader.get(), f.groups, with_slots(3));
  for (size_t g = 0; g < 3; ++g) {  // the groups before the failing one arrive intact
    EXPECT_EQ(wrong_tensors(streamer.groups()[g], streamer.acquire(g)), 0);
    streamer.release(g);
  }
  EXPECT_EQ(error_code_of([&] { streamer.acquire(3); }), "NT_E_IO");
  EXPECT_EQ(error_code_of([&] { streamer.acquire(3); }), "NT_E_IO");
}

TEST(WeightStreamerTest, RefusesOutOfOrderAcquireAndRelease) {
  Fixture f;
  CpuStreamDevice device;
  WeightStreamer streamer(device, f.reader.get(), f.groups, with_slots(3));
  EXPECT_EQ(error_code_of([&] { streamer.acquire(1); }), "NT_E_INTERNAL");
  EXPECT_EQ(error_code_of([&] { streamer.release(0); }), "NT_E_INTERNAL");
  streamer.acquire(0);
  EXPECT_EQ(error_code_of([&] { streamer.release(1); }), "NT_E_INTERNAL");
  streamer.release(0);
  EXPECT_EQ(wrong_tensors(streamer.groups()[1], streamer.acquire(1)), 0);  // not failed by the refusals
  streamer.release(1);
}

TEST(WeightStreamerTest, RefusesHoldingEverySlot) {
  Fixture f;
  CpuStreamDevice device;
  WeightStreamer streamer(device, f.reader.get(), f.groups, with_slots(3));
  streamer.acquire(0);
  streamer.acquire(1);
  streamer.acquire(2);
  EXPECT_EQ(error_code_of([&] { streamer.acquire(3); }), "NT_E_INTERNAL");
}

TEST(WeightStreamerTest, RefusesBadConfigurations) {
  Fixture f;
  CpuStreamDevice device;
  EXPECT_EQ(error_code_of([&] { WeightStreamer(device, f.reader.get(), f.groups, with_slots(2)); }), "NT_E_BAD_REQUEST");
  EXPECT_EQ(error_code_of([&] { WeightStreamer(device, nullptr, f.groups, with_slots(3)); }), "NT_E_BAD_REQUEST");
  std::vector<StreamGroup> empty_group(1);
  EXPECT_EQ(error_code_of([&] { WeightStreamer(device, nullptr, empty_group, with_slots(3)); }), "NT_E_BAD_REQUEST");
  WeightStreamer none(device, nullptr, {}, with_slots(3));
  EXPECT_EQ(error_code_of([&] { none.acquire(0); }), "NT_E_INTERNAL");
}

TEST(WeightStreamerTest, DestructorDoesNotHangWhenComputeStopsMidCycle) {
  Fixture f;
  CpuStreamDevice device;
  const auto t0 = std::chrono::steady_clock::now();
  {
    WeightStreamer streamer(device, f.reader.get(), f.groups, with_slots(3));
    streamer.acquire(0);  // never released: the copy thread blocks on this slot
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  { WeightStreamer streamer(device, f.reader.get(), f.groups, with_slots(4)); }  // threads mid-flight
  EXPECT_LT(std::chrono::steady_clock::now() - t0, std::chrono::seconds(2));
}

namespace {

// Copies slowly, so the copy thread is always ready to run ahead of the compute side.
class SlowCopyDevice : public CpuStreamDevice {
 public:
  void copy_async(void* dst, const void* src, uint64_t bytes) override {
    std::this_thread::sleep_for(std::chrono::microseconds(300));
    CpuStreamDevice::copy_async(dst, src, bytes);
  }
};

// Checks the marker protocol of stream_device.h slot by slot: a slot is refilled only after the
// compute side released it, and read only after it was marked filled.
class MarkerOrderDevice : public CpuStreamDevice {
 public:
  void init_slots(int n) override {
    std::lock_guard<std::mutex> lock(mutex_);
    slots_.assign(static_cast<size_t>(n), Slot{});
  }
  void copy_wait_released(int j) override {
    step(j, [](Slot& s) {
      const bool legal = s.compute == kFree && !s.copy_open;
      s.copy_open = true;
      s.marked = false;
      return legal;
    });
  }
  void copy_mark_filled(int j) override {
    step(j, [](Slot& s) {
      const bool legal = s.copy_open && !s.marked && s.compute == kFree;
      s.marked = true;
      s.compute = kFilled;
      return legal;
    });
  }
  void copy_finish(int j) override {
    step(j, [](Slot& s) {
      const bool legal = s.copy_open && s.marked;
      s.copy_open = false;
      return legal;
    });
  }
  void compute_wait_filled(int j) override {
    step(j, [](Slot& s) {
      const bool legal = s.compute == kFilled;
      s.compute = kInUse;
      return legal;
    });
  }
  void compute_mark_released(int j) override {
    step(j, [](Slot& s) {
      const bool legal = s.compute == kInUse;
      s.compute = kFree;
      ++s.used;
      return legal;
    });
  }
  int violations() const {
    std::lock_guard<std::mutex> lock(mutex_);
    return violations_;
  }
  int min_uses() const {
    std::lock_guard<std::mutex> lock(mutex_);
    int m = INT32_MAX;
    for (const Slot& s : slots_) m = std::min(m, s.used);
    return m;
  }

 private:
  enum Compute { kFree, kFilled, kInUse };
  struct Slot {
    Compute compute = kFree;
    bool copy_open = false;  // between copy_wait_released and copy_finish
    bool marked = false;     // copy_mark_filled called for the open copy
    int used = 0;
  };
  template <typename F>
  void step(int j, F legal) {
    std::lock_guard<std::mutex> lock(mutex_);
    if (j < 0 || static_cast<size_t>(j) >= slots_.size() || !legal(slots_[j])) ++violations_;
  }
  mutable std::mutex mutex_;
  std::vector<Slot> slots_;
  int violations_ = 0;
};

}  // namespace

TEST(WeightStreamerTest, CopiesNeverOverwriteASlotTheComputeSideHolds) {
  Fixture f;
  SlowCopyDevice device;
  WeightStreamer streamer(device, f.reader.get(), f.groups, with_slots(3));
  const auto& groups = streamer.groups();
  int wrong = 0, changed = 0;
  for (int pass = 0; pass < 4; ++pass) {
    for (size_t g = 0; g < groups.size(); ++g) {
      const uint8_t* slot = streamer.acquire(g);
      const std::vector<uint8_t> before(slot, slot + streamer.slot_bytes());
      // Long enough for the copy thread to fill every other slot and reach this one.
      std::this_thread::sleep_for(std::chrono::milliseconds(4));
      changed += std::memcmp(before.data(), slot, before.size()) != 0;
      wrong += wrong_tensors(groups[g], slot);
      streamer.release(g);
    }
  }
  EXPECT_EQ(changed, 0);
  EXPECT_EQ(wrong, 0);
}

TEST(WeightStreamerTest, FollowsTheSlotMarkerProtocol) {
  Fixture f;
  MarkerOrderDevice device;
  {
    WeightStreamer streamer(device, f.reader.get(), f.groups, with_slots(3));
    for (int pass = 0; pass < 10; ++pass) {
      for (size_t g = 0; g < streamer.groups().size(); ++g) {
        streamer.acquire(g);
        streamer.release(g);
      }
    }
  }
  EXPECT_EQ(device.violations(), 0);
  EXPECT_GE(device.min_uses(), 20);  // 70 group uses over 3 slots
}

}  // namespace nt
