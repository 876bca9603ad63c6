#include "io/vfio_reader.h"

#include <linux/futex.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <functional>
#include <mutex>
#include <vector>

#include "dataplaneRing.h"
#include "core/engine_error.h"

namespace nt {

namespace {

// How long one futex wait lasts before the session's state is looked at again.
constexpr long kWaitSliceNs = 50'000'000;

void futex_wake(uint32_t* word) {
  ::syscall(SYS_futex, word, FUTEX_WAKE, 1, nullptr, nullptr, 0);
}

void futex_wait(uint32_t* word, uint32_t seen) {
  struct timespec slice = {0, kWaitSliceNs};
  ::syscall(SYS_futex, word, FUTEX_WAIT, seen, &slice, nullptr, 0);
}

}  // namespace

struct VfioReader::State {
  std::string what;
  VfioReaderOptions options;
  uint8_t* map = nullptr;
  size_t map_bytes = 0;
  nt_dp_header* header = nullptr;
  uint8_t* slots = nullptr;
  // The geometry as read once at map time: the shared page is the helper's to write, not ours to re-read.
  uint64_t image_bytes = 0;
  uint32_t lba_bytes = 0;
  uint32_t slot_count = 0;
  uint64_t slot_bytes = 0;
  uint64_t chunk = 0;  // bytes per request: one slot, at most max_request_bytes, whole blocks
  uint32_t next_tag = 1;
  bool broken = false;  // a read gave up with requests outstanding: the ring is no longer in step
  std::mutex mutex;

  using Arrived = std::function<void(uint32_t slot, uint64_t at, const uint8_t* src, uint64_t bytes)>;
  using Wait = std::function<void(uint32_t slot)>;
  void stream(uint64_t offset, uint64_t bytes, const Arrived& arrived, const Wait& wait);
  void stream_pieces(uint64_t offset, uint64_t bytes, const Arrived& arrived, const Wait& wait,
                     std::vector<bool>& held);

  [[noreturn]] void fail(const std::string& message) { throw EngineError(NT_E_IO, what + ": " + message); }

  void submit(uint64_t image_offset, uint32_t bytes, uint32_t slot, uint32_t tag) {
    const uint32_t tail = header->request_tail;
    nt_dp_request* r = &header->requests[tail % NT_DP_RING_ENTRIES];
    r->image_offset = image_offset;
    r->bytes = bytes;
    r->slot = slot;
    r->slot_offset = 0;
    r->tag = tag;
    r->reserved = 0;
    __atomic_store_n(&header->request_tail, tail + 1, __ATOMIC_RELEASE);
    futex_wake(&header->request_tail);
  }

  // The next completion, or NT_E_IO when the helper stopped the session or stays silent too long.
  nt_dp_completion take() {
    const uint32_t head = header->completion_head;
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(options.completion_timeout_ms);
    for (;;) {
      const uint32_t tail = __atomic_load_n(&header->completion_tail, __ATOMIC_ACQUIRE);
      if (tail != head) break;
      if (__atomic_load_n(&header->session_state, __ATOMIC_ACQUIRE) == NT_DP_STATE_STOPPED) {
        broken = true;
        fail("nt-nvme-helper stopped the data-plane session (code " + std::to_string(header->stop_code) + ")");
      }
      if (std::chrono::steady_clock::now() > deadline) {
        broken = true;
        fail("no completion from nt-nvme-helper within " + std::to_string(options.completion_timeout_ms) +
             " ms: the helper is gone or its device stopped answering");
      }
      futex_wait(&header->completion_tail, tail);
    }
    nt_dp_completion c;
    std::memcpy(&c, &header->completions[head % NT_DP_RING_ENTRIES], sizeof c);
    __atomic_store_n(&header->completion_head, head + 1, __ATOMIC_RELEASE);
    return c;
  }
};

std::unique_ptr<VfioReader> VfioReader::map(int memfd, const std::string& what, const VfioReaderOptions& options) {
  auto s = std::make_unique<State>();
  s->what = "the VFIO data plane of " + what;
  s->options = options;
  struct stat st {};
  if (::fstat(memfd, &st) != 0) s->fail(std::string("fstat: ") + std::strerror(errno));
  if (st.st_size < static_cast<off_t>(NT_DP_HEADER_BYTES)) s->fail("the shared memory is smaller than its header");
  s->map_bytes = static_cast<size_t>(st.st_size);
  void* map = ::mmap(nullptr, s->map_bytes, PROT_READ | PROT_WRITE, MAP_SHARED, memfd, 0);
  if (map == MAP_FAILED) s->fail(std::string("mmap: ") + std::strerror(errno));
  s->map = static_cast<uint8_t*>(map);
  s->header = reinterpret_cast<nt_dp_header*>(s->map);
  const nt_dp_header& h = *s->header;
  std::unique_ptr<VfioReader> reader(new VfioReader(std::move(s)));  // unmaps if a check below throws
  State& r = *reader->state_;
  if (h.magic != NT_DP_MAGIC || h.version != NT_DP_VERSION || h.ring_entries != NT_DP_RING_ENTRIES) {
    r.fail("not a data-plane ring of version " + std::to_string(NT_DP_VERSION));
  }
  r.image_bytes = h.image_bytes;
  r.lba_bytes = h.lba_bytes;
  r.slot_count = h.slot_count;
  r.slot_bytes = h.slot_bytes;
  const uint64_t slots_offset = h.slots_offset;
  if (r.lba_bytes < 512 || r.lba_bytes > 4096 || (r.lba_bytes & (r.lba_bytes - 1)) != 0 || r.slot_count == 0 ||
      r.slot_count > 64 || r.slot_bytes < r.lba_bytes || slots_offset < NT_DP_HEADER_BYTES ||
      slots_offset + static_cast<uint64_t>(r.slot_count) * r.slot_bytes > r.map_bytes) {
    r.fail("its header's geometry does not fit the shared memory");
  }
  r.slots = r.map + slots_offset;
  r.chunk = std::min<uint64_t>(r.slot_bytes, h.max_request_bytes) / r.lba_bytes * r.lba_bytes;
  if (r.chunk == 0) r.fail("its requests cannot hold one block");
  return reader;
}

VfioReader::VfioReader(std::unique_ptr<State> state) : state_(std::move(state)) {}

VfioReader::~VfioReader() {
  if (state_->map == nullptr) return;
  __atomic_store_n(&state_->header->session_state, NT_DP_STATE_CLIENT_CLOSED, __ATOMIC_RELEASE);
  futex_wake(&state_->header->request_tail);
  ::munmap(state_->map, state_->map_bytes);
}

uint64_t VfioReader::alignment() const {
  return state_->lba_bytes;
}

uint64_t VfioReader::image_bytes() const {
  return state_->image_bytes;
}

// The pieces of [offset, offset + bytes), every slot in flight: piece i goes to slot i % slot_count
// and is handed to `arrived` when it completes; a slot is asked for again only after `wait` says
// what was issued from it is done with it (wait runs for every slot still held before returning,
// also when the read fails).
void VfioReader::State::stream(uint64_t offset, uint64_t bytes, const Arrived& arrived, const Wait& wait) {
  std::lock_guard<std::mutex> lock(mutex);
  if (offset % lba_bytes != 0 || bytes % lba_bytes != 0) {
    throw EngineError(NT_E_INTERNAL, what + ": read of " + std::to_string(bytes) + " bytes at " +
                                         std::to_string(offset) + " is not aligned to " + std::to_string(lba_bytes));
  }
  if (broken) fail("an earlier read failed with requests outstanding; reload the model");
  std::vector<bool> held(slot_count, false);
  try {
    stream_pieces(offset, bytes, arrived, wait, held);
  } catch (...) {
    for (uint32_t k = 0; k < slot_count; ++k) {
      try {
        if (held[k]) wait(k);
      } catch (...) {  // the first error is the one to report
      }
    }
    throw;
  }
  for (uint32_t k = 0; k < slot_count; ++k) {
    if (held[k]) wait(k);
  }
}

void VfioReader::State::stream_pieces(uint64_t offset, uint64_t bytes, const Arrived& arrived, const Wait& wait,
                                      std::vector<bool>& held) {
  const uint64_t pieces = (bytes + chunk - 1) / chunk;
  const uint32_t first_tag = next_tag;
  next_tag += static_cast<uint32_t>(pieces);
  uint64_t issued = 0, done = 0;
  int32_t failed = NT_DP_OK;
  uint64_t failed_at = 0;
  while (done < issued || issued < pieces) {
    // A slot is free again once piece i - slot_count is done and its uploads have read it.
    while (failed == NT_DP_OK && issued < pieces && issued - done < slot_count) {
      const uint32_t slot = static_cast<uint32_t>(issued % slot_count);
      if (held[slot]) wait(slot), held[slot] = false;
      const uint64_t at = issued * chunk;
      const uint32_t tag = first_tag + static_cast<uint32_t>(issued);
      submit(offset + at, static_cast<uint32_t>(std::min(chunk, bytes - at)), slot, tag);
      issued++;
    }
    if (done == issued) break;
    const nt_dp_completion c = take();
    if (c.tag != first_tag + static_cast<uint32_t>(done)) {
      broken = true;
      fail("completion for request " + std::to_string(c.tag) + ", expected " + std::to_string(first_tag + done));
    }
    const uint64_t at = done * chunk;
    if (c.status != NT_DP_OK && failed == NT_DP_OK) failed = c.status, failed_at = offset + at;
    if (failed == NT_DP_OK) {
      const uint32_t slot = static_cast<uint32_t>(done % slot_count);
      held[slot] = true;
      arrived(slot, at, slots + slot * slot_bytes, std::min(chunk, bytes - at));
    }
    done++;
  }
  if (failed != NT_DP_OK) {
    fail("nt-nvme-helper refused or failed the read at " + std::to_string(failed_at) + " (data-plane code " +
         std::to_string(failed) + ")");
  }
}

void VfioReader::read(uint8_t* dst, uint64_t offset, uint64_t bytes) {
  state_->stream(
      offset, bytes, [&](uint32_t, uint64_t at, const uint8_t* src, uint64_t n) { std::memcpy(dst + at, src, n); },
      [](uint32_t) {});
}

StorageReader::OwnBuffers VfioReader::own_buffers() const {
  return OwnBuffers{state_->slots, static_cast<uint64_t>(state_->slot_count) * state_->slot_bytes, state_->slot_count};
}

void VfioReader::read_through(uint64_t offset, uint64_t bytes, SlotSink& sink) {
  state_->stream(
      offset, bytes,
      [&](uint32_t slot, uint64_t at, const uint8_t* src, uint64_t n) { sink.arrived(slot, at, src, n); },
      [&](uint32_t slot) { sink.wait_slot(slot); });
}

}  // namespace nt
