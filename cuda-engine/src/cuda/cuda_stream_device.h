// The CUDA StreamDevice: VRAM through cudaMalloc, page-aligned pinned memory (cudaHostRegister), a copy
// stream and a compute stream, and per-slot events (filled / released) that order them without
// any device-wide or stream synchronisation on the hot path; a storage reader's own buffers (the
// vfio data plane's slots) registered in place, with a held event each, as copy sources. Every
// CUDA error becomes an EngineError (NT_E_OUT_OF_MEMORY for allocations, NT_E_INTERNAL naming the call otherwise).
// Only compiled with the CUDA backend (NT_WITH_CUDA).
#pragma once

#include <cuda_runtime_api.h>

#include <memory>

#include "backend/stream_device.h"

namespace nt {

class CudaStreamDevice : public StreamDevice {
 public:
  // Selects device `ordinal` and creates its streams. Throws NT_E_NO_DEVICE when it is unusable.
  explicit CudaStreamDevice(int ordinal);
  ~CudaStreamDevice() override;

  int ordinal() const;
  cudaStream_t compute_stream() const;  // the stream the CUDA backend launches its kernels on
  // Makes `ordinal` current on the calling thread (every thread that calls CUDA must).
  void make_current() const;

  const char* name() const override { return "cuda"; }
  void* alloc_device(uint64_t bytes) override;
  void free_device(void* p) override;
  void* alloc_pinned(uint64_t bytes) override;
  void free_pinned(void* p) override;
  void upload(void* device_dst, const void* host_src, uint64_t bytes) override;
  void download(void* host_dst, const void* device_src, uint64_t bytes) override;
  void copy_device(void* device_dst, const void* device_src, uint64_t bytes) override;
  void init_slots(int n) override;
  void copy_wait_released(int slot) override;
  void copy_async(void* device_dst, const void* pinned_src, uint64_t bytes) override;
  void copy_mark_filled(int slot) override;
  void copy_finish(int slot) override;
  bool register_host(void* p, uint64_t bytes, std::string& why) override;
  void unregister_host(void* p) override;
  void init_holds(int n) override;
  void copy_mark_held(int buffer) override;
  void copy_wait_held(int buffer) override;
  void compute_wait_filled(int slot) override;
  void compute_mark_released(int slot) override;
  bool times_on_device() const override { return true; }
  DeviceStageTimes take_pass_times() override;

 private:
  struct State;
  std::unique_ptr<State> state_;
};

}  // namespace nt
