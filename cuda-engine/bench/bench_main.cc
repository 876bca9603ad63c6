// nt-bench: the standalone benchmark harness for the GPU machine, which has no node. For now it
// reports the build and the devices it would measure on; the llama-bench-style tables (pp512,
// tg128, H2D and O_DIRECT bandwidth beside the DESIGN §3 bound) arrive with the streamer.
#include <cstdio>
#include <cstring>
#include <string>

#include "device/device_report.h"

namespace {

void print_usage() {
  std::printf(
      "usage: nt-bench [--json]\n"
      "Reports the engine build and the compute devices. No benchmark is implemented yet.\n");
}

std::string json_escape(const std::string& s) {
  std::string out;
  for (char c : s) {
    if (c == '"' || c == '\\') out += '\\';
    if (static_cast<unsigned char>(c) < 0x20) continue;
    out += c;
  }
  return out;
}

void print_json(const nt::DeviceReport& report) {
  std::printf("{\"engine\":\"%s\",\"cuda\":{\"built\":%s,\"available\":%s,\"reason\":\"%s\"},\"devices\":[",
              NT_ENGINE_VERSION, report.cuda.built ? "true" : "false", report.cuda.available ? "true" : "false",
              json_escape(report.cuda.reason).c_str());
  for (size_t i = 0; i < report.devices.size(); ++i) {
    const auto& d = report.devices[i];
    std::printf("%s{\"backend\":\"%s\",\"index\":%d,\"name\":\"%s\",\"totalBytes\":%llu,\"freeBytes\":%llu}",
                i ? "," : "", d.backend.c_str(), d.index, json_escape(d.name).c_str(),
                static_cast<unsigned long long>(d.total_bytes), static_cast<unsigned long long>(d.free_bytes));
  }
  std::printf("],\"results\":[]}\n");
}

void print_text(const nt::DeviceReport& report) {
  std::printf("nt-bench %s (CUDA %s; architectures %s)\n", NT_ENGINE_VERSION,
              report.cuda.built ? "built" : "not built", NT_CUDA_ARCHITECTURES);
  if (!report.cuda.available) std::printf("CUDA: %s\n", report.cuda.reason.c_str());
  for (const auto& d : report.devices) {
    std::printf("  %-4s %d  %-40s %8.1f GiB total %8.1f GiB free\n", d.backend.c_str(), d.index, d.name.c_str(),
                d.total_bytes / 1073741824.0, d.free_bytes / 1073741824.0);
  }
  std::printf("no benchmarks are implemented yet\n");
}

}  // namespace

int main(int argc, char** argv) {
  bool json = false;
  for (int i = 1; i < argc; ++i) {
    if (std::strcmp(argv[i], "--json") == 0) {
      json = true;
    } else if (std::strcmp(argv[i], "--help") == 0 || std::strcmp(argv[i], "-h") == 0) {
      print_usage();
      return 0;
    } else {
      std::fprintf(stderr, "nt-bench: unknown argument '%s'\n", argv[i]);
      print_usage();
      return 2;
    }
  }
  const nt::DeviceReport report = nt::query_devices();
  if (json) print_json(report); else print_text(report);
  return 0;
}
