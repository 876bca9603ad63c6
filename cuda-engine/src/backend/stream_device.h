// What the weight streamer needs from the device the forward pass runs on: memory of three kinds,
// an asynchronous host→device copy, and ordering between the copy side and the compute side
// through per-slot markers — events on CUDA, nothing at all on the CPU, where a copy is a memcpy
// that has finished when it returns. Nothing here synchronizes the whole device (DESIGN §2).
//
// Slot markers, for VRAM slot j of the ring (init_slots(n) creates them):
//   copy thread:    copy_wait_released(j) → copy_async(...)* → copy_mark_filled(j)
//                   → copy_finish(j) (host waits until those copies are done: the pinned staging
//                   buffer they read may then be refilled)
//   compute thread: compute_wait_filled(j) → kernels reading slot j → compute_mark_released(j)
// The streamer's own condition variables order the *issuing* of these calls on the host; the
// markers order the *execution* on the device.
//
// A storage reader's own buffers (the vfio data plane's slots) can be the copies' source in place
// of the streamer's staging (StorageReader::read_through): register_host pins them for the device
// once, and per reader buffer k (init_holds(n) creates the markers) the copy side calls
// copy_mark_held(k) after issuing the copies that read it and copy_wait_held(k) before the
// reader may refill it.
#pragma once

#include <cstdint>
#include <string>

namespace nt {

// Device-side time spent per pass on each stage, from the device's own clock (CUDA events) where
// there is one. Collected by take_pass_times() after the pass's work has finished.
struct DeviceStageTimes {
  double h2d_ms = 0;    // copies into VRAM slots
  double stall_ms = 0;  // the compute side waiting for a slot to be filled
};

class StreamDevice {
 public:
  virtual ~StreamDevice() = default;

  virtual const char* name() const = 0;  // "cpu" or "cuda"

  // Device memory: VRAM, or on the CPU backend a host region the budget accounts for. Throws
  // EngineError NT_E_OUT_OF_MEMORY naming the size. free_* accept nullptr.
  virtual void* alloc_device(uint64_t bytes) = 0;
  virtual void free_device(void* p) = 0;
  // Pinned (page-locked) host memory, 4096-byte aligned so O_DIRECT can read into it.
  virtual void* alloc_pinned(uint64_t bytes) = 0;
  virtual void free_pinned(void* p) = 0;

  // Synchronous copies, off the hot path (loading tier A, small uploads, measuring links).
  virtual void upload(void* device_dst, const void* host_src, uint64_t bytes) = 0;
  virtual void download(void* host_dst, const void* device_src, uint64_t bytes) = 0;
  virtual void copy_device(void* device_dst, const void* device_src, uint64_t bytes) = 0;

  // Creates the markers of n VRAM slots (called once, before any slot call).
  virtual void init_slots(int n) = 0;

  // Copy side (the streamer's copy thread).
  virtual void copy_wait_released(int slot) = 0;
  virtual void copy_async(void* device_dst, const void* pinned_src, uint64_t bytes) = 0;
  virtual void copy_mark_filled(int slot) = 0;
  virtual void copy_finish(int slot) = 0;

  // A reader's buffers as copy sources. register_host returns false with the reason in `why` when
  // the device cannot use them without a host copy (CUDA: cudaHostRegister refused, e.g. by
  // RLIMIT_MEMLOCK); the CPU uses any host memory as it is. unregister_host comes before the
  // memory is unmapped. The hold markers: on the CPU a copy is done when it returns, so nothing.
  virtual bool register_host(void* p, uint64_t bytes, std::string& why) {
    (void)p, (void)bytes, (void)why;
    return true;
  }
  virtual void unregister_host(void* p) { (void)p; }
  virtual void init_holds(int n) { (void)n; }
  virtual void copy_mark_held(int buffer) { (void)buffer; }
  virtual void copy_wait_held(int buffer) { (void)buffer; }

  // Compute side (the thread running the forward pass).
  virtual void compute_wait_filled(int slot) = 0;
  virtual void compute_mark_released(int slot) = 0;

  // True when take_pass_times() reports the copy and stall times from the device's own clock; the
  // streamer's host-side timings then measure only how far the host runs ahead, and are dropped.
  virtual bool times_on_device() const = 0;

  // The device-side stage times since the last call; call when the pass's work is complete
  // (after the forward pass has read its logits back). Zeros on the CPU, whose stages the
  // streamer times on the host.
  virtual DeviceStageTimes take_pass_times() = 0;
};

}  // namespace nt
