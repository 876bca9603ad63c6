#include "device_report_text.h"

namespace nt::bench {

void print_device_text(std::FILE* out, const DeviceReport& report) {
  std::fprintf(out, "nt-bench %s (CUDA %s; architectures %s)\n", NT_ENGINE_VERSION,
               report.cuda.built ? "built" : "not built", NT_CUDA_ARCHITECTURES);
  if (!report.cuda.available) std::fprintf(out, "CUDA: %s\n", report.cuda.reason.c_str());
  for (const auto& d : report.devices) {
    std::fprintf(out, "  %-4s %d  %-40s %8.1f GiB total %8.1f GiB free\n", d.backend.c_str(), d.index, d.name.c_str(),
                 d.total_bytes / 1073741824.0, d.free_bytes / 1073741824.0);
  }
}

}  // namespace nt::bench
