#include <sys/sysinfo.h>

#include <fstream>
#include <string>
#include <thread>

#include "backend/device_report.h"

namespace nt {

namespace {

std::string cpu_model_name() {
  std::ifstream cpuinfo("/proc/cpuinfo");
  std::string line;
  while (std::getline(cpuinfo, line)) {
    if (line.rfind("model name", 0) == 0) {
      const auto colon = line.find(':');
      if (colon != std::string::npos) return line.substr(line.find_first_not_of(" \t", colon + 1));
    }
  }
  return "CPU";
}

// MemAvailable, not MemFree: page cache is reclaimable, and the planner budgets with it.
uint64_t available_memory_bytes() {
  std::ifstream meminfo("/proc/meminfo");
  std::string key;
  uint64_t kib = 0;
  std::string unit;
  while (meminfo >> key >> kib >> unit) {
    if (key == "MemAvailable:") return kib * 1024;
  }
  return 0;
}

}  // namespace

DeviceInfo query_cpu_device() {
  DeviceInfo cpu;
  cpu.backend = "cpu";
  cpu.name = cpu_model_name();
  struct sysinfo info {};
  if (::sysinfo(&info) == 0) cpu.total_bytes = uint64_t{info.totalram} * info.mem_unit;
  cpu.free_bytes = available_memory_bytes();
  cpu.cores = static_cast<int>(std::thread::hardware_concurrency());
  return cpu;
}

}  // namespace nt
