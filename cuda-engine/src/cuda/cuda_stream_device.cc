#include "cuda/cuda_stream_device.h"

#include <cstdlib>
#include <mutex>
#include <string>
#include <vector>

#include "core/engine_error.h"
#include "cuda/cuda_check.h"

namespace nt {

namespace {

constexpr size_t kPageBytes = 4096;

using cuda::check;
using cuda::error_text;

void check_alloc(cudaError_t err, const char* call, uint64_t bytes, const char* kind) {
  if (err == cudaSuccess) return;
  cudaGetLastError();
  if (err == cudaErrorMemoryAllocation)
    throw EngineError(NT_E_OUT_OF_MEMORY, "cannot allocate " + std::to_string(bytes) + " bytes of " + kind +
                                              " (" + call + ": " + error_text(err) + ")");
  check(err, call);
}

// A start/end pair of timing events; `stall` tells which stage it measured.
struct TimedSpan {
  cudaEvent_t start = nullptr;
  cudaEvent_t end = nullptr;
  bool stall = false;
};

}  // namespace

struct CudaStreamDevice::State {
  int ordinal = 0;
  cudaStream_t copy_stream = nullptr;
  cudaStream_t compute_stream = nullptr;
  std::vector<cudaEvent_t> filled;    // recorded on the copy stream after a slot's copies
  std::vector<cudaEvent_t> released;  // recorded on the compute stream after a slot's last reader
  std::vector<TimedSpan> open_h2d;    // per slot: the copy span between wait_released and mark_filled
  std::vector<cudaEvent_t> held;      // per reader buffer: recorded on the copy stream after its copies

  // Timing spans are recorded by the copy thread and the compute thread and collected by
  // take_pass_times(); spans of copies still running (the copy thread prefetches the next pass)
  // stay pending until a later call. Events are reused through `spare`, never re-recorded while
  // a span that holds them is pending, so every elapsed time belongs to one use.
  std::mutex timing_mutex;
  std::vector<TimedSpan> pending;
  std::vector<TimedSpan> spare;

  ~State() {
    // Not called with work of ours in flight that matters: streams and events are released
    // by the driver after their pending work completes.
    for (cudaEvent_t e : filled) cudaEventDestroy(e);
    for (cudaEvent_t e : released) cudaEventDestroy(e);
    for (cudaEvent_t e : held) cudaEventDestroy(e);
    for (const TimedSpan& s : open_h2d) destroy(s);
    for (const TimedSpan& s : pending) destroy(s);
    for (const TimedSpan& s : spare) destroy(s);
    if (copy_stream) cudaStreamDestroy(copy_stream);
    if (compute_stream) cudaStreamDestroy(compute_stream);
  }

  static void destroy(const TimedSpan& s) {
    if (s.start) cudaEventDestroy(s.start);
    if (s.end) cudaEventDestroy(s.end);
  }

  TimedSpan take_span(bool stall) {
    TimedSpan s;
    {
      std::lock_guard<std::mutex> lock(timing_mutex);
      if (!spare.empty()) {
        s = spare.back();
        spare.pop_back();
      }
    }
    if (!s.start) {
      // Events belong to the current device: ours, whichever thread asks.
      check(cudaSetDevice(ordinal), "cudaSetDevice");
      check(cudaEventCreate(&s.start), "cudaEventCreate");
      if (cudaEventCreate(&s.end) != cudaSuccess) {
        cudaEventDestroy(s.start);
        check(cudaErrorMemoryAllocation, "cudaEventCreate");
      }
    }
    s.stall = stall;
    return s;
  }

  void finish_span(const TimedSpan& s) {
    std::lock_guard<std::mutex> lock(timing_mutex);
    pending.push_back(s);
  }
};

CudaStreamDevice::CudaStreamDevice(int ordinal) : state_(std::make_unique<State>()) {
  state_->ordinal = ordinal;
  auto no_device = [&](cudaError_t err, const char* call) {
    cudaGetLastError();
    throw EngineError(NT_E_NO_DEVICE, "CUDA device " + std::to_string(ordinal) + " is unusable: " + call +
                                          " failed: " + error_text(err));
  };
  cudaError_t err = cudaSetDevice(ordinal);
  if (err != cudaSuccess) no_device(err, "cudaSetDevice");
  // Non-blocking: neither stream synchronises with the legacy default stream that other code
  // (or a library) may use, so nothing outside our events orders them.
  err = cudaStreamCreateWithFlags(&state_->copy_stream, cudaStreamNonBlocking);
  if (err != cudaSuccess) no_device(err, "cudaStreamCreateWithFlags (copy stream)");
  err = cudaStreamCreateWithFlags(&state_->compute_stream, cudaStreamNonBlocking);
  if (err != cudaSuccess) no_device(err, "cudaStreamCreateWithFlags (compute stream)");
}

CudaStreamDevice::~CudaStreamDevice() {
  cudaSetDevice(state_->ordinal);
}

int CudaStreamDevice::ordinal() const { return state_->ordinal; }
cudaStream_t CudaStreamDevice::compute_stream() const { return state_->compute_stream; }

void CudaStreamDevice::make_current() const { check(cudaSetDevice(state_->ordinal), "cudaSetDevice"); }

void* CudaStreamDevice::alloc_device(uint64_t bytes) {
  make_current();
  void* p = nullptr;
  check_alloc(cudaMalloc(&p, bytes), "cudaMalloc", bytes, "VRAM");
  return p;
}

void CudaStreamDevice::free_device(void* p) {
  // Called from destructors: a failure here (a sticky error from earlier) cannot be acted on.
  if (p == nullptr) return;
  cudaSetDevice(state_->ordinal);
  cudaFree(p);
}

// cudaHostAlloc sub-allocates small blocks from larger pinned pools, so a block need not start
// on a page (CUDA 13 on an H200: a 20 KiB staging buffer allocated after 2 KB ones did not), and
// O_DIRECT needs page-aligned buffers: page-aligned host memory is allocated here and pinned with
// cudaHostRegister instead. Portable: pinned for every context.
void* CudaStreamDevice::alloc_pinned(uint64_t bytes) {
  make_current();
  void* p = nullptr;
  if (posix_memalign(&p, kPageBytes, bytes == 0 ? 1 : bytes) != 0 || p == nullptr)
    throw EngineError(NT_E_OUT_OF_MEMORY, "cannot allocate " + std::to_string(bytes) + " bytes of pinned host memory");
  const cudaError_t err = cudaHostRegister(p, bytes == 0 ? 1 : bytes, cudaHostRegisterPortable);
  if (err != cudaSuccess) {
    std::free(p);
    check_alloc(err, "cudaHostRegister", bytes, "pinned host memory");
  }
  return p;
}

void CudaStreamDevice::free_pinned(void* p) {
  if (p == nullptr) return;
  cudaSetDevice(state_->ordinal);
  cudaHostUnregister(p);
  cudaGetLastError();
  std::free(p);
}

// Off the hot path: issued on the compute stream, so it is ordered after the kernels that may
// still read the destination, and awaited, so a pageable source may be reused at once (a plain
// cudaMemcpy from pageable memory may return before the DMA has landed).
void CudaStreamDevice::upload(void* device_dst, const void* host_src, uint64_t bytes) {
  make_current();
  check(cudaMemcpyAsync(device_dst, host_src, bytes, cudaMemcpyHostToDevice, state_->compute_stream),
        "cudaMemcpyAsync (upload)");
  check(cudaStreamSynchronize(state_->compute_stream), "cudaStreamSynchronize (upload)");
}

void CudaStreamDevice::download(void* host_dst, const void* device_src, uint64_t bytes) {
  make_current();
  check(cudaMemcpyAsync(host_dst, device_src, bytes, cudaMemcpyDeviceToHost, state_->compute_stream),
        "cudaMemcpyAsync (download)");
  check(cudaStreamSynchronize(state_->compute_stream), "cudaStreamSynchronize (download)");
}

void CudaStreamDevice::copy_device(void* device_dst, const void* device_src, uint64_t bytes) {
  make_current();
  check(cudaMemcpyAsync(device_dst, device_src, bytes, cudaMemcpyDeviceToDevice, state_->compute_stream),
        "cudaMemcpyAsync (device to device)");
  check(cudaStreamSynchronize(state_->compute_stream), "cudaStreamSynchronize (device to device)");
}

void CudaStreamDevice::init_slots(int n) {
  make_current();
  State& st = *state_;
  for (int j = 0; j < n; ++j) {
    cudaEvent_t filled = nullptr, released = nullptr;
    // BlockingSync: copy_finish waits on `filled` from the host, and a spinning wait would burn a
    // core for the whole copy. Timing is off: these only order work.
    check(cudaEventCreateWithFlags(&filled, cudaEventDisableTiming | cudaEventBlockingSync), "cudaEventCreate");
    st.filled.push_back(filled);
    check(cudaEventCreateWithFlags(&released, cudaEventDisableTiming), "cudaEventCreate");
    st.released.push_back(released);
  }
  st.open_h2d.assign(static_cast<size_t>(n), TimedSpan{});
}

// A released marker never recorded (the first pass) is complete: the wait is then a no-op.
void CudaStreamDevice::copy_wait_released(int slot) {
  make_current();
  State& st = *state_;
  check(cudaStreamWaitEvent(st.copy_stream, st.released[slot], 0), "cudaStreamWaitEvent (slot released)");
  TimedSpan& span = st.open_h2d[slot];
  if (!span.start) span = st.take_span(false);
  check(cudaEventRecord(span.start, st.copy_stream), "cudaEventRecord (copy start)");
}

// Current here too: with tier C uploaded by the reader's thread, the copy thread may issue a
// slot's copies without a copy_wait_released of its own (cudaSetDevice costs nothing when current).
void CudaStreamDevice::copy_async(void* device_dst, const void* pinned_src, uint64_t bytes) {
  make_current();
  check(cudaMemcpyAsync(device_dst, pinned_src, bytes, cudaMemcpyHostToDevice, state_->copy_stream),
        "cudaMemcpyAsync (slot copy)");
}

void CudaStreamDevice::copy_mark_filled(int slot) {
  State& st = *state_;
  check(cudaEventRecord(st.filled[slot], st.copy_stream), "cudaEventRecord (slot filled)");
  TimedSpan& span = st.open_h2d[slot];
  if (!span.start) return;  // copy_wait_released was skipped: nothing to time
  check(cudaEventRecord(span.end, st.copy_stream), "cudaEventRecord (copy end)");
  st.finish_span(span);
  span = TimedSpan{};
}

// Blocks only the calling (copy) thread, until the slot's copies have read their staging buffer.
void CudaStreamDevice::copy_finish(int slot) {
  check(cudaEventSynchronize(state_->filled[slot]), "cudaEventSynchronize (slot filled)");
}

void CudaStreamDevice::compute_wait_filled(int slot) {
  State& st = *state_;
  TimedSpan span = st.take_span(true);
  // The span runs from when the compute stream reaches the wait to when the slot's copies end.
  cudaError_t err = cudaEventRecord(span.start, st.compute_stream);
  if (err == cudaSuccess) err = cudaStreamWaitEvent(st.compute_stream, st.filled[slot], 0);
  if (err == cudaSuccess) err = cudaEventRecord(span.end, st.compute_stream);
  if (err != cudaSuccess) {
    State::destroy(span);
    check(err, "compute_wait_filled (cudaEventRecord / cudaStreamWaitEvent)");
  }
  st.finish_span(span);
}

void CudaStreamDevice::compute_mark_released(int slot) {
  State& st = *state_;
  check(cudaEventRecord(st.released[slot], st.compute_stream), "cudaEventRecord (slot released)");
}

// The reader's buffers (a shared mapping of the helper's memfd, not ours to free) are pinned in
// place: portable, as alloc_pinned's, and read-only where the device supports it, since the GPU
// only reads them. A refusal (RLIMIT_MEMLOCK, a mapping the driver cannot pin) is not an error:
// the streamer copies through its own staging instead.
bool CudaStreamDevice::register_host(void* p, uint64_t bytes, std::string& why) {
  make_current();
  int read_only = 0;
  if (cudaDeviceGetAttribute(&read_only, cudaDevAttrHostRegisterReadOnlySupported, state_->ordinal) != cudaSuccess)
    read_only = 0;
  cudaGetLastError();
  unsigned flags = cudaHostRegisterPortable | (read_only ? cudaHostRegisterReadOnly : 0u);
  cudaError_t err = cudaHostRegister(p, bytes, flags);
  if (err != cudaSuccess && read_only) {
    cudaGetLastError();
    err = cudaHostRegister(p, bytes, cudaHostRegisterPortable);
  }
  if (err == cudaSuccess) return true;
  cudaGetLastError();
  why = std::string("cudaHostRegister of ") + std::to_string(bytes) + " bytes failed: " + error_text(err);
  return false;
}

void CudaStreamDevice::unregister_host(void* p) {
  if (p == nullptr) return;
  cudaSetDevice(state_->ordinal);
  cudaHostUnregister(p);
  cudaGetLastError();
}

void CudaStreamDevice::init_holds(int n) {
  make_current();
  for (int k = static_cast<int>(state_->held.size()); k < n; ++k) {
    cudaEvent_t e = nullptr;
    // BlockingSync: the reader's thread waits on it from the host (see init_slots).
    check(cudaEventCreateWithFlags(&e, cudaEventDisableTiming | cudaEventBlockingSync), "cudaEventCreate");
    state_->held.push_back(e);
  }
}

void CudaStreamDevice::copy_mark_held(int buffer) {
  check(cudaEventRecord(state_->held[buffer], state_->copy_stream), "cudaEventRecord (reader buffer held)");
}

// Blocks the calling (reader) thread until the copies from the buffer have read it.
void CudaStreamDevice::copy_wait_held(int buffer) {
  check(cudaEventSynchronize(state_->held[buffer]), "cudaEventSynchronize (reader buffer held)");
}

DeviceStageTimes CudaStreamDevice::take_pass_times() {
  State& st = *state_;
  DeviceStageTimes times;
  std::lock_guard<std::mutex> lock(st.timing_mutex);
  std::vector<TimedSpan> still_running;
  for (const TimedSpan& s : st.pending) {
    const cudaError_t done = cudaEventQuery(s.end);
    if (done == cudaErrorNotReady) {
      still_running.push_back(s);
      continue;
    }
    float ms = 0;
    if (done == cudaSuccess && cudaEventElapsedTime(&ms, s.start, s.end) == cudaSuccess)
      (s.stall ? times.stall_ms : times.h2d_ms) += ms;
    cudaGetLastError();  // an unreadable span only costs its figure
    st.spare.push_back(s);
  }
  st.pending.swap(still_running);
  return times;
}

}  // namespace nt
