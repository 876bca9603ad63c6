// A stand-in for nt-nvme-helper's data-plane thread (protocol/helper/dataplaneRing.h) that serves
// the ring from a file, as the helper serves it from the placed image through its NVMe queues:
// the model tests load a GGUF through the vfio backend with no helper and no device. It checks
// each request as the helper does (inside the image rounded up to a block, inside one slot,
// block aligned) and refuses the rest, so a reader that asks for something the helper would
// refuse fails here too. stop_after(n) ends the session after n completions, as a helper whose
// controller failed does (NT_DP_STATE_STOPPED). hold(slot) / release(slot) let a test's device
// say when an upload still reads a slot; a request into a held slot is counted (reused_while_held),
// as the real device would overwrite bytes the GPU has not copied yet.
#pragma once

#include <fcntl.h>
#include <linux/futex.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdint>
#include <string>
#include <thread>

#include "dataplaneRing.h"

namespace nt::test {

class FakeDataplane {
 public:
  FakeDataplane(const std::string& path, uint32_t lba_bytes, uint32_t slots, uint64_t slot_bytes)
      : lba_(lba_bytes), slots_(slots), slot_bytes_(slot_bytes) {
    file_ = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    struct stat st {};
    ::fstat(file_, &st);
    image_bytes_ = static_cast<uint64_t>(st.st_size);
    fd_ = ::memfd_create("nt-test-dataplane", MFD_CLOEXEC);
    bytes_ = NT_DP_HEADER_BYTES + slots * slot_bytes;
    if (::ftruncate(fd_, static_cast<off_t>(bytes_)) != 0) return;
    map_ = static_cast<uint8_t*>(::mmap(nullptr, bytes_, PROT_READ | PROT_WRITE, MAP_SHARED, fd_, 0));
    header_ = reinterpret_cast<nt_dp_header*>(map_);
    header_->magic = NT_DP_MAGIC;
    header_->version = NT_DP_VERSION;
    header_->header_bytes = NT_DP_HEADER_BYTES;
    header_->image_bytes = image_bytes_;
    header_->lba_bytes = lba_bytes;
    header_->slot_count = slots;
    header_->slot_bytes = slot_bytes;
    header_->slots_offset = NT_DP_HEADER_BYTES;
    header_->ring_entries = NT_DP_RING_ENTRIES;
    header_->max_request_bytes = static_cast<uint32_t>(slot_bytes);
    thread_ = std::thread([this] { serve(); });
  }
  ~FakeDataplane() {
    done_ = true;
    if (thread_.joinable()) thread_.join();
    if (map_ != nullptr) ::munmap(map_, bytes_);
    ::close(fd_);
    ::close(file_);
  }
  FakeDataplane(const FakeDataplane&) = delete;
  FakeDataplane& operator=(const FakeDataplane&) = delete;

  int fd() const { return fd_; }
  uint64_t image_bytes() const { return image_bytes_; }
  uint32_t served() const { return served_; }
  uint32_t refused() const { return refused_; }
  uint32_t session_state() const { return __atomic_load_n(&header_->session_state, __ATOMIC_ACQUIRE); }
  void stop_after(uint32_t completions) { stop_after_ = completions; }
  // Stops answering without a word, as a helper killed mid-stream: the session still says open.
  void die() {
    done_ = true;
    if (thread_.joinable()) thread_.join();
  }
  void hold(uint32_t slot) { held_[slot] = true; }
  void release(uint32_t slot) { held_[slot] = false; }
  uint32_t reused_while_held() const { return reused_while_held_; }
  uint8_t* slot_memory(uint32_t slot) const { return map_ + NT_DP_HEADER_BYTES + slot * slot_bytes_; }

 private:
  int32_t check(const nt_dp_request& r) const {
    const uint64_t padded = (image_bytes_ + lba_ - 1) / lba_ * lba_;
    if (r.bytes == 0 || r.bytes > slot_bytes_) return NT_DP_E_SIZE;
    if (r.image_offset % lba_ != 0 || r.bytes % lba_ != 0 || r.slot_offset % 4 != 0) return NT_DP_E_ALIGN;
    if (r.image_offset > padded || r.bytes > padded - r.image_offset) return NT_DP_E_RANGE;
    if (r.slot >= slots_ || r.slot_offset > slot_bytes_ || r.bytes > slot_bytes_ - r.slot_offset) return NT_DP_E_SLOT;
    return NT_DP_OK;
  }

  // The image's bytes, zeros past its end (the last block's padding).
  void fill(const nt_dp_request& r) {
    uint8_t* slot = map_ + NT_DP_HEADER_BYTES + r.slot * slot_bytes_ + r.slot_offset;
    const ssize_t n = ::pread(file_, slot, r.bytes, static_cast<off_t>(r.image_offset));
    for (uint32_t i = n > 0 ? static_cast<uint32_t>(n) : 0; i < r.bytes; i++) slot[i] = 0;
  }

  void complete(uint32_t tag, int32_t status, uint32_t bytes) {
    const uint32_t tail = header_->completion_tail;
    header_->completions[tail % NT_DP_RING_ENTRIES] = nt_dp_completion{tag, status, bytes, 0};
    __atomic_store_n(&header_->completion_tail, tail + 1, __ATOMIC_RELEASE);
    ::syscall(SYS_futex, &header_->completion_tail, FUTEX_WAKE, 1, nullptr, nullptr, 0);
  }

  void serve() {
    uint32_t head = 0;
    while (!done_ && session_state() == NT_DP_STATE_OPEN) {
      if (__atomic_load_n(&header_->request_tail, __ATOMIC_ACQUIRE) == head) {
        std::this_thread::sleep_for(std::chrono::microseconds(100));
        continue;
      }
      const nt_dp_request r = header_->requests[head % NT_DP_RING_ENTRIES];
      head++;
      if (served_ + refused_ >= stop_after_) {
        header_->stop_code = NT_DP_E_FATAL;
        __atomic_store_n(&header_->session_state, NT_DP_STATE_STOPPED, __ATOMIC_RELEASE);
        return;
      }
      const int32_t status = check(r);
      if (status == NT_DP_OK && held_[r.slot]) reused_while_held_++;
      if (status == NT_DP_OK) fill(r);
      complete(r.tag, status, status == NT_DP_OK ? r.bytes : 0);
      (status == NT_DP_OK ? served_ : refused_)++;
    }
  }

  uint32_t lba_, slots_;
  uint64_t slot_bytes_;
  uint64_t image_bytes_ = 0;
  int file_ = -1, fd_ = -1;
  size_t bytes_ = 0;
  uint8_t* map_ = nullptr;
  nt_dp_header* header_ = nullptr;
  std::atomic<bool> done_{false};
  std::atomic<uint32_t> served_{0}, refused_{0}, stop_after_{UINT32_MAX}, reused_while_held_{0};
  std::atomic<bool> held_[64] = {};  // the reader accepts 64 slots at most
  std::thread thread_;
};

}  // namespace nt::test
