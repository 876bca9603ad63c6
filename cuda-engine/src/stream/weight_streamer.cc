#include "stream/weight_streamer.h"

#include <algorithm>
#include <chrono>
#include <condition_variable>
#include <deque>
#include <exception>
#include <mutex>
#include <thread>

#include "core/engine_error.h"

namespace nt {

namespace {

// Tensor starts inside a slot: every CUDA kernel's vector loads and every CPU SIMD load are
// satisfied by 256 bytes (cudaMalloc's own alignment).
constexpr uint64_t kSlotAlignment = 256;

uint64_t round_up(uint64_t v, uint64_t a) { return (v + a - 1) / a * a; }

double ms_since(std::chrono::steady_clock::time_point t0) {
  return std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
}

[[noreturn]] void internal(const std::string& message) { throw EngineError(NT_E_INTERNAL, message); }

// The file range a group reads each pass: its tier-C tensors' span, rounded out for O_DIRECT.
struct StorageRange {
  bool used = false;
  uint64_t offset = 0;
  uint64_t bytes = 0;
};

}  // namespace

// The pipeline counts *steps*: step s is group s % n of pass s / n — or, with optional groups
// (tier D), the s-th entry of the schedule, which begin_pass extends by each pass's groups — and
// it uses device slot and staging buffer s % slots. Each stage only moves its own counter
// forward, under `mutex`, and waits for the counters of its neighbours, so the order of the whole ring is three inequalities:
//   read s    needs  copy_done > s - slots   (its staging buffer's previous bytes are copied)
//   copy s    needs  read_done > s           (when the group has tier-C tensors)
//                    released  > s - slots   (the compute side has handed its slot back)
//   acquire s needs  copy_issued > s
// When tier C comes through the reader's own registered buffers (`through_reader`), the read
// thread uploads a group's tier-C bytes into its device slot itself, piece by piece as they
// arrive, so "read s" needs the slot instead of a staging buffer:
//   read s    needs  released  > s - slots   (and issues copy_wait_released on the device first)
//   copy s    then moves only the tier-B tensors and marks the slot filled.
struct WeightStreamer::State {
  StreamDevice& device;
  StorageReader* reader;
  std::vector<StreamGroup> groups;
  std::vector<StorageRange> ranges;  // per group
  // With optional groups: the groups of steps [schedule_base, schedule_base + schedule.size()),
  // known so far. Entries below every stage's position are dropped.
  bool has_optional = false;
  size_t prefix = 0;  // the groups before the first optional one: in every pass, declared or not
  std::deque<size_t> schedule;
  uint64_t schedule_base = 0;
  uint64_t read_pos = 0;  // the step the read thread looks at next (it never needs one below)
  uint64_t slots = 0;
  uint64_t copy_piece_bytes = 0;
  uint64_t slot_bytes = 0;
  uint64_t staging_bytes = 0;
  std::vector<uint8_t*> device_slots;
  std::vector<uint8_t*> staging;
  bool through_reader = false;  // tier C uploaded from the reader's own registered buffers
  uint8_t* registered = nullptr;  // those buffers, unregistered before the reader unmaps them
  std::string through_fallback;   // why the reader's buffers offered were not used

  std::mutex mutex;
  std::condition_variable read_wake;     // a staging buffer was freed, or stop / failure
  std::condition_variable copy_wake;     // a range was read or a slot released, or stop / failure
  std::condition_variable compute_wake;  // a slot was filled, or failure
  uint64_t read_done = 0;    // tier-C steps are read in order: every one below this is in staging
  uint64_t copy_issued = 0;  // copies issued and the slot's filled marker recorded
  uint64_t copy_done = 0;    // copies finished: the staging buffer may be refilled
  uint64_t acquired = 0;
  uint64_t released = 0;
  bool stopping = false;
  bool copy_exited = false;    // the copy thread will issue nothing more
  std::exception_ptr failure;  // the first error of a pipeline thread; the streamer stays failed

  StreamStats totals;          // guarded by mutex; passes, compute and device times in end_pass
  double pass_host_stall_ms = 0;

  std::thread read_thread;
  std::thread copy_thread;

  State(StreamDevice& d, StorageReader* r, std::vector<StreamGroup> g) : device(d), reader(r), groups(std::move(g)) {}
  ~State();

  void validate_and_lay_out();
  void allocate_rings();
  void start_threads();
  void read_loop();
  void read_step(uint64_t s);
  void read_through_step(uint64_t s, size_t g);
  void use_reader_buffers();
  void copy_loop();
  void copy_step(uint64_t s, size_t g);
  void fail(std::exception_ptr e);
  void plan_schedule();
  bool known(uint64_t s) const { return !has_optional || s < schedule_base + schedule.size(); }
  size_t group_of(uint64_t s) const {
    return has_optional ? schedule[static_cast<size_t>(s - schedule_base)] : static_cast<size_t>(s % groups.size());
  }
  void drop_passed_steps();
};

void WeightStreamer::State::validate_and_lay_out() {
  for (StreamGroup& group : groups) {
    if (group.tensors.empty()) throw EngineError(NT_E_BAD_REQUEST, "stream group " + group.name + " has no tensors");
    uint64_t end = 0;
    uint64_t lo = UINT64_MAX, hi = 0;
    bool has_storage = false;
    for (StreamedTensor& t : group.tensors) {
      if (group.optional && t.from_storage)
        throw EngineError(NT_E_BAD_REQUEST, "tensor " + t.name + " of an optional group is streamed from storage");
      if (!t.from_storage && t.pinned == nullptr && t.bytes != 0)
        throw EngineError(NT_E_BAD_REQUEST, "tensor " + t.name + " is streamed from pinned memory it does not have");
      if (t.from_storage && reader == nullptr)
        throw EngineError(NT_E_BAD_REQUEST, "tensor " + t.name + " is streamed from storage, but no reader is open");
      t.slot_offset = round_up(end, kSlotAlignment);
      end = t.slot_offset + t.bytes;
      if (t.from_storage) {
        has_storage = true;
        lo = std::min(lo, t.file_offset);
        hi = std::max(hi, t.file_offset + t.bytes);
      }
    }
    slot_bytes = std::max(slot_bytes, round_up(end, kSlotAlignment));
    StorageRange range;
    if (has_storage) {
      range.used = true;
      reader->aligned_range(lo, hi - lo, range.offset, range.bytes);
      staging_bytes = std::max(staging_bytes, range.bytes);
    }
    ranges.push_back(range);
  }
}

// The first pass's groups up to its first optional one are known before it is declared.
void WeightStreamer::State::plan_schedule() {
  prefix = groups.size();
  for (size_t g = 0; g < groups.size(); ++g) {
    if (groups[g].optional && prefix == groups.size()) prefix = g;
  }
  has_optional = prefix < groups.size();
  for (size_t g = 0; has_optional && g < prefix; ++g) schedule.push_back(g);
}

void WeightStreamer::State::drop_passed_steps() {
  const uint64_t lowest = std::min(released, read_thread.joinable() ? read_pos : released);
  while (!schedule.empty() && schedule_base < lowest) {
    schedule.pop_front();
    ++schedule_base;
  }
}

// A reader that reads into buffers of its own (vfio) has them registered once: tier C is then
// uploaded from where it arrived. When the device refuses them, staging as for the other readers.
void WeightStreamer::State::use_reader_buffers() {
  if (staging_bytes == 0) return;
  const StorageReader::OwnBuffers own = reader->own_buffers();
  if (own.count == 0) return;
  if (!device.register_host(own.base, own.bytes, through_fallback)) return;
  registered = own.base;
  through_reader = true;
  device.init_holds(static_cast<int>(own.count));
}

void WeightStreamer::State::allocate_rings() {
  for (uint64_t j = 0; j < slots; ++j)
    device_slots.push_back(static_cast<uint8_t*>(device.alloc_device(slot_bytes)));
  if (staging_bytes == 0 || through_reader) return;
  for (uint64_t j = 0; j < slots; ++j) staging.push_back(static_cast<uint8_t*>(device.alloc_pinned(staging_bytes)));
}

void WeightStreamer::State::start_threads() {
  if (groups.empty()) return;
  device.init_slots(static_cast<int>(slots));
  copy_thread = std::thread([this] { copy_loop(); });
  if (staging_bytes != 0) read_thread = std::thread([this] { read_loop(); });
}

WeightStreamer::State::~State() {
  {
    std::lock_guard<std::mutex> lock(mutex);
    stopping = true;
  }
  read_wake.notify_all();
  copy_wake.notify_all();
  compute_wake.notify_all();
  // Neither thread blocks on the compute side except through a condition that `stopping` ends,
  // and each finishes the read or copy it is in (copy_finish included), so no transfer targets a
  // ring buffer after the joins.
  if (read_thread.joinable()) read_thread.join();
  if (copy_thread.joinable()) copy_thread.join();
  for (uint8_t* p : device_slots) device.free_device(p);
  for (uint8_t* p : staging) device.free_pinned(p);
  if (registered != nullptr) device.unregister_host(registered);
}

void WeightStreamer::State::fail(std::exception_ptr e) {
  {
    std::lock_guard<std::mutex> lock(mutex);
    if (!failure) failure = e;
  }
  read_wake.notify_all();
  copy_wake.notify_all();
  compute_wake.notify_all();
}

void WeightStreamer::State::read_loop() {
  try {
    for (uint64_t s = 0;; ++s) {
      {
        std::unique_lock<std::mutex> lock(mutex);
        read_pos = s;
        read_wake.wait(lock, [&] { return stopping || failure || known(s); });
        if (stopping || failure) return;
        if (!ranges[group_of(s)].used) continue;  // the next group with tier C is met within one pass
        // Through the reader's buffers the device slot is written here: it must be released.
        read_wake.wait(lock, [&] {
          return stopping || failure || (copy_done + slots > s && (!through_reader || released + slots > s));
        });
        if (stopping || failure) return;
      }
      read_step(s);
    }
  } catch (...) {
    fail(std::current_exception());
  }
}

void WeightStreamer::State::read_step(uint64_t s) {
  size_t g = 0;
  {
    std::lock_guard<std::mutex> lock(mutex);
    g = group_of(s);
  }
  const StorageRange& range = ranges[g];
  const auto t0 = std::chrono::steady_clock::now();
  if (through_reader) {
    read_through_step(s, g);
  } else {
    reader->read(staging[s % slots], range.offset, range.bytes);
  }
  const double ms = ms_since(t0);
  {
    std::lock_guard<std::mutex> lock(mutex);
    read_done = s + 1;
    totals.bytes_read += range.bytes;
    totals.read_ms += ms;  // through the reader's buffers: the uploads' issue (the CPU: their memcpy) too
  }
  copy_wake.notify_all();
}

namespace {

// Uploads each piece of a group's storage range into the tier-C tensors it overlaps, at their
// place in the device slot, and holds the reader's buffer until those uploads have read it.
class SlotUploader : public SlotSink {
 public:
  SlotUploader(StreamDevice& device, const StreamGroup& group, uint64_t range_offset, uint8_t* slot)
      : device_(device), group_(group), range_offset_(range_offset), slot_(slot) {}

  void arrived(uint32_t buffer, uint64_t at, const uint8_t* src, uint64_t bytes) override {
    const uint64_t lo = range_offset_ + at, hi = lo + bytes;  // file offsets of the piece
    for (const StreamedTensor& t : group_.tensors) {
      if (!t.from_storage) continue;
      const uint64_t from = std::max(lo, t.file_offset), to = std::min(hi, t.file_offset + t.bytes);
      if (from >= to) continue;
      device_.copy_async(slot_ + t.slot_offset + (from - t.file_offset), src + (from - lo), to - from);
      copied_ += to - from;
    }
    device_.copy_mark_held(static_cast<int>(buffer));
  }
  void wait_slot(uint32_t buffer) override { device_.copy_wait_held(static_cast<int>(buffer)); }
  uint64_t copied() const { return copied_; }

 private:
  StreamDevice& device_;
  const StreamGroup& group_;
  uint64_t range_offset_;
  uint8_t* slot_;
  uint64_t copied_ = 0;
};

}  // namespace

// The device slot's previous group has been released (read_loop); the device must also have
// finished reading it before the uploads land.
void WeightStreamer::State::read_through_step(uint64_t s, size_t g) {
  const int j = static_cast<int>(s % slots);
  device.copy_wait_released(j);
  SlotUploader uploader(device, groups[g], ranges[g].offset, device_slots[j]);
  reader->read_through(ranges[g].offset, ranges[g].bytes, uploader);
  std::lock_guard<std::mutex> lock(mutex);
  totals.bytes_copied += uploader.copied();
}

void WeightStreamer::State::copy_loop() {
  // However the loop ends, acquire() must learn that no more copies come: after a reader failure
  // it waits for the steps already read rather than failing at once.
  struct ExitNotice {
    State& st;
    ~ExitNotice() {
      {
        std::lock_guard<std::mutex> lock(st.mutex);
        st.copy_exited = true;
      }
      st.compute_wake.notify_all();
    }
  } notice{*this};
  try {
    for (uint64_t s = 0;; ++s) {
      size_t g = 0;
      {
        std::unique_lock<std::mutex> lock(mutex);
        copy_wake.wait(lock, [&] { return stopping || known(s); });
        if (stopping) return;
        g = group_of(s);
        const bool needs_read = ranges[g].used;
        auto ready = [&] { return (!needs_read || read_done > s) && released + slots > s; };
        // After a reader failure the steps already read are still copied (their slots may still
        // be held: wait for them), so the compute side gets every group before the failing one,
        // and the error exactly at that one.
        auto never = [&] { return failure && needs_read && read_done <= s; };
        copy_wake.wait(lock, [&] { return stopping || ready() || never(); });
        if (stopping || !ready()) return;
      }
      copy_step(s, g);
    }
  } catch (...) {
    fail(std::current_exception());
  }
}

void WeightStreamer::State::copy_step(uint64_t s, size_t g) {
  const StreamGroup& group = groups[g];
  const StorageRange& range = ranges[g];
  const int j = static_cast<int>(s % slots);
  const bool uploaded = through_reader && range.used;  // tier C is in the slot already
  if (!uploaded) device.copy_wait_released(j);
  uint64_t bytes = 0;
  const auto t0 = std::chrono::steady_clock::now();
  for (const StreamedTensor& t : group.tensors) {
    if (uploaded && t.from_storage) continue;
    const uint8_t* src = t.from_storage ? staging[j] + (t.file_offset - range.offset) : t.pinned;
    for (uint64_t at = 0; at < t.bytes; at += copy_piece_bytes) {
      device.copy_async(device_slots[j] + t.slot_offset + at, src + at, std::min(copy_piece_bytes, t.bytes - at));
    }
    bytes += t.bytes;
  }
  const double ms = ms_since(t0);  // the copies themselves on the CPU; only their issue on CUDA
  device.copy_mark_filled(j);
  {
    std::lock_guard<std::mutex> lock(mutex);
    copy_issued = s + 1;
    totals.bytes_copied += bytes;
    if (!device.times_on_device()) totals.h2d_ms += ms;
  }
  compute_wake.notify_all();
  device.copy_finish(j);  // the staging buffer is read until here
  {
    std::lock_guard<std::mutex> lock(mutex);
    copy_done = s + 1;
  }
  read_wake.notify_all();
}

WeightStreamer::WeightStreamer(StreamDevice& device, StorageReader* reader, std::vector<StreamGroup> groups,
                               const StreamerOptions& options)
    : state_(std::make_unique<State>(device, reader, std::move(groups))) {
  // Users' values are checked by the planner; this guards the ring's invariant for direct callers.
  if (options.slots < kMinStagingSlots)
    throw EngineError(NT_E_BAD_REQUEST, "the weight streamer needs at least " + std::to_string(kMinStagingSlots) +
                                            " slots (got " + std::to_string(options.slots) + ")");
  state_->slots = static_cast<uint64_t>(options.slots);
  state_->copy_piece_bytes = std::max<uint64_t>(1, options.copy_piece_bytes);
  state_->validate_and_lay_out();
  state_->plan_schedule();
  state_->use_reader_buffers();
  state_->allocate_rings();  // a throw here frees what was allocated: ~State runs
  state_->start_threads();
}

WeightStreamer::~WeightStreamer() = default;

const std::vector<StreamGroup>& WeightStreamer::groups() const { return state_->groups; }
uint64_t WeightStreamer::slot_bytes() const { return state_->slot_bytes; }
uint64_t WeightStreamer::staging_bytes() const { return state_->through_reader ? 0 : state_->staging_bytes; }

void WeightStreamer::begin_pass(bool skip_optional) {
  State& st = *state_;
  {
    std::lock_guard<std::mutex> lock(st.mutex);
    if (!st.has_optional) return;
    for (size_t g = st.prefix; g < st.groups.size(); ++g) {
      if (!(skip_optional && st.groups[g].optional)) st.schedule.push_back(g);
    }
    for (size_t g = 0; g < st.prefix; ++g) st.schedule.push_back(g);  // the next pass's, known already
  }
  st.read_wake.notify_all();
  st.copy_wake.notify_all();
}

uint8_t* WeightStreamer::acquire(size_t group) {
  State& st = *state_;
  if (st.groups.empty()) internal("acquire(" + std::to_string(group) + ") on a streamer without groups");
  std::unique_lock<std::mutex> lock(st.mutex);
  const uint64_t s = st.acquired;
  if (!st.known(s)) internal("acquire(" + std::to_string(group) + ") before its pass was declared (begin_pass)");
  const size_t expected = st.group_of(s);
  if (group != expected)
    internal("acquire(" + std::to_string(group) + ") out of cycle order: group " + std::to_string(expected) + " (" +
             st.groups[expected].name + ") is next");
  // Holding every slot would leave the copy thread nothing to fill: a deadlock, refused.
  if (s - st.released >= st.slots)
    internal("acquire(" + std::to_string(group) + ") while all " + std::to_string(st.slots) + " slots are held");
  const auto t0 = std::chrono::steady_clock::now();
  st.compute_wake.wait(lock, [&] { return st.copy_issued > s || st.copy_exited || st.stopping; });
  st.pass_host_stall_ms += ms_since(t0);
  if (st.copy_issued <= s) {
    if (st.failure) std::rethrow_exception(st.failure);
    internal("acquire(" + std::to_string(group) + ") on a stopping streamer");
  }
  lock.unlock();
  const int j = static_cast<int>(s % st.slots);
  st.device.compute_wait_filled(j);
  lock.lock();
  st.acquired = s + 1;
  return st.device_slots[j];
}

void WeightStreamer::release(size_t group) {
  State& st = *state_;
  if (st.groups.empty()) internal("release(" + std::to_string(group) + ") on a streamer without groups");
  std::unique_lock<std::mutex> lock(st.mutex);
  const uint64_t s = st.released;
  if (s >= st.acquired || group != st.group_of(s))
    internal("release(" + std::to_string(group) + ") does not match the oldest acquired group");
  lock.unlock();
  // The marker must be recorded before the copy thread can see the release and wait on it.
  st.device.compute_mark_released(static_cast<int>(s % st.slots));
  lock.lock();
  st.released = s + 1;
  st.drop_passed_steps();
  lock.unlock();
  st.copy_wake.notify_all();
  st.read_wake.notify_all();  // through the reader's buffers the read thread waits for released slots
}

void WeightStreamer::end_pass(double pass_ms) {
  const DeviceStageTimes device = state_->device.take_pass_times();
  std::lock_guard<std::mutex> lock(state_->mutex);
  StreamStats& t = state_->totals;
  // On CUDA the host waits in acquire() while the GPU still computes: that is running ahead, not
  // a stall. The device's own clock says how long the compute stream waited for copies.
  const double host_stall = state_->device.times_on_device() ? 0.0 : state_->pass_host_stall_ms;
  const double stall = host_stall + device.stall_ms;
  t.passes += 1;
  t.h2d_ms += device.h2d_ms;
  t.stall_ms += stall;
  t.compute_ms += std::max(0.0, pass_ms - stall);
  state_->pass_host_stall_ms = 0;
}

StreamStats WeightStreamer::stats() const {
  std::lock_guard<std::mutex> lock(state_->mutex);
  StreamStats s = state_->totals;
  if (state_->staging_bytes != 0) s.tier_c_path = state_->through_reader ? "reader-buffers" : "staging";
  s.tier_c_fallback = state_->through_fallback;
  return s;
}

}  // namespace nt
