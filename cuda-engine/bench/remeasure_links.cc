#include "remeasure_links.h"

#include <memory>
#include <string>

#include "cpu/cpu_stream_device.h"
#include "io/direct_reader.h"
#include "stream/measure_links.h"
#if NT_WITH_CUDA
#include "cuda/cuda_stream_device.h"
#endif

namespace nt::bench {

namespace {

// A second device object beside the model's: on CUDA it shares the process's context, so its
// buffers count against the same VRAM. ModelOptions has no device ordinal, so the model runs on
// device 0, and so does this.
std::unique_ptr<StreamDevice> device_like(const Model& model) {
#if NT_WITH_CUDA
  if (std::string(model.backend_name()) == "cuda") return std::make_unique<CudaStreamDevice>(0);
#else
  (void)model;
#endif
  return std::make_unique<CpuStreamDevice>();
}

}  // namespace

LinkSpeeds remeasure_links(const Model& model, const std::string& path, bool allow_buffered) {
  std::unique_ptr<StreamDevice> device = device_like(model);
  DirectReaderOptions reader_options;
  reader_options.allow_buffered = allow_buffered;
  std::unique_ptr<DirectReader> reader = DirectReader::open(path, 0, reader_options);
  const GgufFile& gguf = model.gguf();
  // The tensor data section: what tier C reads, so the figure is for those blocks of the file.
  // 2 GiB of it (on the H200 host 256 MiB reads gave 1.0-1.5 GB/s where the streamer sustained
  // 1.7 over a pass): the bound must not be the easy one to beat.
  LinkMeasureOptions options;
  options.storage_bytes = 2ull << 30;
  options.repeats = 2;
  return measure_links(*device, reader.get(), gguf.data_offset, gguf.file_bytes - gguf.data_offset, options);
}

}  // namespace nt::bench
