// VfioReader against a stand-in for nt-nvme-helper's data-plane thread (the real one needs VFIO
// and an NVMe controller: scripts/qemu/runVfioProof.sh): a thread serving the ring of
// protocol/helper/dataplaneRing.h from a byte pattern. Exact bytes across slots reused many times,
// a refused request as NT_E_IO with the ring still in step, a helper that stops answering or stops
// the session as NT_E_IO (never a hang), a foreign memfd refused, and the session closed on destruction.
#include <gtest/gtest.h>
#include <linux/futex.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <atomic>
#include <cstring>
#include <thread>
#include <vector>

#include "dataplaneRing.h"
#include "error_code_of.h"
#include "io/vfio_reader.h"

namespace nt {

namespace {

using test::error_code_of;

constexpr uint32_t kLba = 512;
constexpr uint32_t kSlots = 3;
constexpr uint64_t kSlotBytes = 8192;
constexpr uint64_t kImageBytes = 100'000;  // not a whole number of blocks: the last one is padding

uint8_t pattern_at(uint64_t i) {
  return static_cast<uint8_t>((i * 131 + (i >> 9)) & 0xff);
}

// The memfd as the helper lays it out, and a thread answering its requests as the helper would.
class FakeHelper {
 public:
  enum class Mode { serve, refuse_third, silent, stop };

  explicit FakeHelper(Mode mode) : mode_(mode) {
    fd_ = ::memfd_create("nt-test-dataplane", MFD_CLOEXEC);
    bytes_ = NT_DP_HEADER_BYTES + kSlots * kSlotBytes;
    EXPECT_EQ(0, ::ftruncate(fd_, static_cast<off_t>(bytes_)));
    map_ = static_cast<uint8_t*>(::mmap(nullptr, bytes_, PROT_READ | PROT_WRITE, MAP_SHARED, fd_, 0));
    header_ = reinterpret_cast<nt_dp_header*>(map_);
    header_->magic = NT_DP_MAGIC;
    header_->version = NT_DP_VERSION;
    header_->header_bytes = NT_DP_HEADER_BYTES;
    header_->image_bytes = kImageBytes;
    header_->lba_bytes = kLba;
    header_->slot_count = kSlots;
    header_->slot_bytes = kSlotBytes;
    header_->slots_offset = NT_DP_HEADER_BYTES;
    header_->ring_entries = NT_DP_RING_ENTRIES;
    header_->max_request_bytes = kSlotBytes;
    thread_ = std::thread([this] { serve(); });
  }
  ~FakeHelper() {
    done_ = true;
    thread_.join();
    ::munmap(map_, bytes_);
    ::close(fd_);
  }

  int fd() const { return fd_; }
  nt_dp_header* header() { return header_; }
  uint32_t served() const { return served_; }

 private:
  void serve() {
    uint32_t head = 0;
    while (!done_) {
      if (__atomic_load_n(&header_->request_tail, __ATOMIC_ACQUIRE) == head) {
        std::this_thread::sleep_for(std::chrono::microseconds(200));
        continue;
      }
      const nt_dp_request r = header_->requests[head % NT_DP_RING_ENTRIES];
      head++;
      if (mode_ == Mode::silent) continue;
      if (mode_ == Mode::stop) {
        __atomic_store_n(&header_->session_state, NT_DP_STATE_STOPPED, __ATOMIC_RELEASE);
        continue;
      }
      int32_t status = NT_DP_OK;
      if (mode_ == Mode::refuse_third && ++requests_ == 3) {
        status = NT_DP_E_SLOT;
      } else {
        uint8_t* slot = map_ + NT_DP_HEADER_BYTES + r.slot * kSlotBytes + r.slot_offset;
        for (uint32_t i = 0; i < r.bytes; i++) {
          slot[i] = r.image_offset + i < kImageBytes ? pattern_at(r.image_offset + i) : 0;
        }
      }
      const uint32_t tail = header_->completion_tail;
      header_->completions[tail % NT_DP_RING_ENTRIES] = nt_dp_completion{r.tag, status, status == NT_DP_OK ? r.bytes : 0, 0};
      __atomic_store_n(&header_->completion_tail, tail + 1, __ATOMIC_RELEASE);
      ::syscall(SYS_futex, &header_->completion_tail, FUTEX_WAKE, 1, nullptr, nullptr, 0);
      served_++;
    }
  }

  Mode mode_;
  int fd_ = -1;
  size_t bytes_ = 0;
  uint8_t* map_ = nullptr;
  nt_dp_header* header_ = nullptr;
  std::atomic<bool> done_{false};
  std::atomic<uint32_t> served_{0};
  uint32_t requests_ = 0;
  std::thread thread_;
};

VfioReaderOptions quick_timeout() {
  VfioReaderOptions o;
  o.completion_timeout_ms = 300;
  return o;
}

void expect_pattern(const std::vector<uint8_t>& got, uint64_t offset) {
  for (uint64_t i = 0; i < got.size(); i++) {
    const uint8_t want = offset + i < kImageBytes ? pattern_at(offset + i) : 0;
    ASSERT_EQ(want, got[i]) << "byte " << offset + i;
  }
}

}  // namespace

TEST(VfioReader, ReadsExactBytesThroughSlotsReusedManyTimes) {
  FakeHelper helper(FakeHelper::Mode::serve);
  auto reader = VfioReader::map(helper.fd(), "test", VfioReaderOptions{});
  EXPECT_EQ(kLba, reader->alignment());
  EXPECT_EQ(kImageBytes, reader->image_bytes());
  EXPECT_TRUE(reader->direct());
  // The whole image rounded up to blocks: 13 requests through 3 slots.
  const uint64_t whole = (kImageBytes + kLba - 1) / kLba * kLba;
  std::vector<uint8_t> all(whole);
  reader->read(all.data(), 0, whole);
  expect_pattern(all, 0);
  for (uint64_t offset : {512ull, 8192ull, 40960ull, 99840ull}) {
    std::vector<uint8_t> part(std::min<uint64_t>(whole - offset, 3 * kSlotBytes + kLba));
    reader->read(part.data(), offset, part.size());
    expect_pattern(part, offset);
  }
}

TEST(VfioReader, ARefusedRequestIsAnIoErrorAndTheRingStaysInStep) {
  FakeHelper helper(FakeHelper::Mode::refuse_third);
  auto reader = VfioReader::map(helper.fd(), "test", quick_timeout());
  std::vector<uint8_t> buffer(5 * kSlotBytes);
  EXPECT_EQ("NT_E_IO", error_code_of([&] { reader->read(buffer.data(), 0, buffer.size()); }));
  // Every request of the failed read was answered and taken: the next read pairs its completions.
  reader->read(buffer.data(), kSlotBytes, buffer.size());
  expect_pattern(buffer, kSlotBytes);
}

TEST(VfioReader, AHelperThatStopsAnsweringFailsTheReadInsteadOfHanging) {
  FakeHelper helper(FakeHelper::Mode::silent);
  auto reader = VfioReader::map(helper.fd(), "test", quick_timeout());
  std::vector<uint8_t> buffer(kSlotBytes);
  EXPECT_EQ("NT_E_IO", error_code_of([&] { reader->read(buffer.data(), 0, buffer.size()); }));
  EXPECT_EQ("NT_E_IO", error_code_of([&] { reader->read(buffer.data(), 0, buffer.size()); })) << "the ring is out of step for good";
}

TEST(VfioReader, ASessionTheHelperStoppedFailsTheRead) {
  FakeHelper helper(FakeHelper::Mode::stop);
  auto reader = VfioReader::map(helper.fd(), "test", VfioReaderOptions{});
  std::vector<uint8_t> buffer(kSlotBytes);
  EXPECT_EQ("NT_E_IO", error_code_of([&] { reader->read(buffer.data(), 0, buffer.size()); }));
}

TEST(VfioReader, RefusesMisalignedReadsAndForeignMemory) {
  FakeHelper helper(FakeHelper::Mode::serve);
  auto reader = VfioReader::map(helper.fd(), "test", VfioReaderOptions{});
  std::vector<uint8_t> buffer(2 * kLba);
  EXPECT_EQ("NT_E_INTERNAL", error_code_of([&] { reader->read(buffer.data(), 1, kLba); }));
  EXPECT_EQ("NT_E_INTERNAL", error_code_of([&] { reader->read(buffer.data(), 0, kLba + 1); }));
  helper.header()->slot_count = 65;
  EXPECT_EQ("NT_E_IO", error_code_of([&] { VfioReader::map(helper.fd(), "test", VfioReaderOptions{}); }));
  helper.header()->slot_count = kSlots;
  helper.header()->magic = 0;
  EXPECT_EQ("NT_E_IO", error_code_of([&] { VfioReader::map(helper.fd(), "test", VfioReaderOptions{}); }));
}

TEST(VfioReader, EndsTheSessionWhenDestroyed) {
  FakeHelper helper(FakeHelper::Mode::serve);
  VfioReader::map(helper.fd(), "test", VfioReaderOptions{}).reset();
  EXPECT_EQ(NT_DP_STATE_CLIENT_CLOSED, helper.header()->session_state);
}

}  // namespace nt
