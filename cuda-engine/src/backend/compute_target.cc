#include "backend/compute_target.h"

#include <fstream>
#include <sstream>

#include "backend/device_report.h"
#include "core/engine_error.h"
#include "cpu/cpu_backend.h"
#include "cpu/cpu_stream_device.h"
#if NT_WITH_CUDA
#include <cuda_runtime_api.h>

#include "cuda/cuda_backend.h"
#include "cuda/cuda_stream_device.h"
#endif

namespace nt {

namespace {

uint64_t host_available_bytes() {
  std::ifstream meminfo("/proc/meminfo");
  std::string line;
  while (std::getline(meminfo, line)) {
    std::istringstream fields(line);
    std::string key;
    uint64_t kib = 0;
    if (fields >> key >> kib && key == "MemAvailable:") return kib * 1024;
  }
  return 0;
}

#if NT_WITH_CUDA
ComputeTarget cuda_target(int ordinal, uint64_t host_bytes) {
  ComputeTarget t;
  auto device = std::make_unique<CudaStreamDevice>(ordinal);
  size_t free_bytes = 0, total_bytes = 0;
  if (cudaMemGetInfo(&free_bytes, &total_bytes) != cudaSuccess) {
    throw EngineError(NT_E_NO_DEVICE, "cannot read the free memory of CUDA device " + std::to_string(ordinal));
  }
  t.device = std::move(device);
  t.device_free_bytes = free_bytes;
  t.host_available_bytes = host_bytes;
  return t;
}
#endif

ComputeTarget cpu_target(uint64_t host_bytes, std::string reason) {
  ComputeTarget t;
  t.device = std::make_unique<CpuStreamDevice>();
  t.device_free_bytes = host_bytes;
  t.host_available_bytes = host_bytes;
  t.fallback_reason = std::move(reason);
  return t;
}

}  // namespace

ComputeTarget open_compute_target(const std::string& backend) {
  if (backend != "auto" && backend != "cpu" && backend != "cuda") {
    throw EngineError(NT_E_BAD_REQUEST, "unknown backend '" + backend + "' (auto, cpu or cuda)");
  }
  const uint64_t host_bytes = host_available_bytes();
  if (backend == "cpu") return cpu_target(host_bytes, "");
  const DeviceReport report = query_devices();
  if (!report.cuda.available) {
    if (backend == "cuda") throw EngineError(NT_E_NO_DEVICE, "the CUDA backend is unavailable: " + report.cuda.reason);
    return cpu_target(host_bytes, report.cuda.reason);
  }
#if NT_WITH_CUDA
  for (const DeviceInfo& d : report.devices) {
    if (d.backend == "cuda") return cuda_target(d.index, host_bytes);
  }
#endif
  throw EngineError(NT_E_NO_DEVICE, "no usable CUDA device");
}

std::unique_ptr<ComputeBackend> make_compute_backend(StreamDevice& device, const Hparams& h, int32_t n_vocab,
                                                     int32_t threads, int32_t max_batch) {
#if NT_WITH_CUDA
  if (auto* cuda = dynamic_cast<CudaStreamDevice*>(&device)) {
    return make_cuda_backend(h, n_vocab, *cuda, max_batch);
  }
#else
  (void)device;  // only a CUDA device needs these
  (void)n_vocab;
  (void)max_batch;
#endif
  return std::make_unique<CpuBackend>(h, threads);
}

}  // namespace nt
