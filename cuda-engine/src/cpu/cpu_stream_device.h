// The CPU backend's StreamDevice: "device memory" is a host region the budget accounts for, a
// host→device copy is a memcpy that is done when it returns, and so the slot markers order
// nothing (DESIGN §4). It lets CI run the whole streaming pipeline, tier C from disk included.
#pragma once

#include "backend/stream_device.h"

namespace nt {

class CpuStreamDevice : public StreamDevice {
 public:
  const char* name() const override { return "cpu"; }
  void* alloc_device(uint64_t bytes) override;
  void free_device(void* p) override;
  void* alloc_pinned(uint64_t bytes) override;
  void free_pinned(void* p) override;
  void upload(void* device_dst, const void* host_src, uint64_t bytes) override;
  void download(void* host_dst, const void* device_src, uint64_t bytes) override;
  void copy_device(void* device_dst, const void* device_src, uint64_t bytes) override;
  void init_slots(int) override {}
  void copy_wait_released(int) override {}
  void copy_async(void* device_dst, const void* pinned_src, uint64_t bytes) override;
  void copy_mark_filled(int) override {}
  void copy_finish(int) override {}
  void compute_wait_filled(int) override {}
  void compute_mark_released(int) override {}
  bool times_on_device() const override { return false; }
  DeviceStageTimes take_pass_times() override { return {}; }
};

}  // namespace nt
