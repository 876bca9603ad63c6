// Which backend a load runs on and the device memory it starts with: "auto" takes the first usable
// CUDA device and otherwise the CPU; "cuda" without one is an error naming why (DESIGN §4: no
// driver → CPU, with a clear message, when the user did not insist).
#pragma once

#include <cstdint>
#include <memory>
#include <string>

#include "backend/compute_backend.h"
#include "backend/stream_device.h"

namespace nt {

struct ComputeTarget {
  std::unique_ptr<StreamDevice> device;
  uint64_t device_free_bytes = 0;  // free VRAM, or available host memory for the CPU backend
  uint64_t host_available_bytes = 0;
  std::string fallback_reason;     // why "auto" chose the CPU; empty otherwise
};

// Throws EngineError NT_E_BAD_REQUEST for an unknown backend name, NT_E_NO_DEVICE when "cuda" is
// asked for and none is usable.
ComputeTarget open_compute_target(const std::string& backend);

// The compute backend for the target's device: threads are the CPU's; max_batch sizes CUDA scratch.
std::unique_ptr<ComputeBackend> make_compute_backend(StreamDevice& device, const Hparams& h, int32_t n_vocab,
                                                     int32_t threads, int32_t max_batch);

}  // namespace nt
