#include "model/calibration.h"

#include <cstdio>
#include <cstring>
#include <fstream>
#include <map>
#include <mutex>
#include <sstream>
#include <vector>

#include "core/engine_error.h"
#include "cpu/matmul.h"
#include "cpu/thread_pool.h"
#include "gguf/ggml_type.h"
#include "stream/measure_dual.h"

namespace nt {

namespace {

// 256 MiB of weights: far past any CPU cache, as a block of a large model is, and a product of
// a few milliseconds at DRAM speed.
constexpr uint64_t kWorkBytes = 256ull << 20;
constexpr int64_t kColumns = 4096;

std::string one_field(std::string s) {
  for (char& c : s) {
    if (c == '\t' || c == '\n' || c == '\r') c = ' ';
  }
  return s;
}

std::string rates_text(const CpuRates& r) {
  char buf[160];
  std::snprintf(buf, sizeof buf, "%.3f\t%.3f\t%d\t%.3f\t%.3f", r.cpu_gbps, r.cpu_batch_gbps, r.batch,
                r.h2d_together_gbps, r.cpu_together_gbps);
  return buf;
}

bool parse_rates(const std::string& text, CpuRates& r) {
  std::istringstream in(text);
  CpuRates parsed;
  if (!(in >> parsed.cpu_gbps >> parsed.cpu_batch_gbps >> parsed.batch >> parsed.h2d_together_gbps >>
        parsed.cpu_together_gbps)) {
    return false;
  }
  if (!(parsed.cpu_gbps > 0)) return false;  // the planner needs a positive B_cpu
  r = parsed;
  return true;
}

std::vector<std::string> read_lines(const std::string& path) {
  std::vector<std::string> lines;
  std::ifstream in(path);
  for (std::string line; std::getline(in, line);) lines.push_back(line);
  return lines;
}

// The CPU backend's products over a zeroed matrix of `type` in pinned memory: the speed of the
// block dot products does not depend on the values.
CpuRates measure(StreamDevice& device, const CalibrationKey& key, uint32_t type) {
  const auto layout = ggml_block_layout(type);
  if (!layout) throw EngineError(NT_E_INTERNAL, "no block layout for type " + ggml_type_name(type));
  const uint64_t row_bytes = kColumns / layout->block_elements * layout->block_bytes;
  const int64_t rows = static_cast<int64_t>(kWorkBytes / row_bytes);
  const uint64_t bytes = static_cast<uint64_t>(rows) * row_bytes;
  void* weights = device.alloc_pinned(bytes);
  std::memset(weights, 0, bytes);
  DualMeasureOptions options;
  try {
    TensorView w;
    w.data = static_cast<const uint8_t*>(weights);
    w.type = type;
    w.ne[0] = kColumns;
    w.ne[1] = rows;
    cpu::ThreadPool pool(key.threads);
    std::vector<float> x(static_cast<size_t>(options.batch * kColumns), 0.5f);
    std::vector<float> y(static_cast<size_t>(options.batch * rows));
    const CpuRates r = measure_dual(
        device, [&](int32_t batch) { cpu::matmul(w, x.data(), batch, y.data(), pool); }, bytes, options);
    device.free_pinned(weights);
    return r;
  } catch (...) {
    device.free_pinned(weights);
    throw;
  }
}

}  // namespace

std::string CalibrationKey::text() const {
  return one_field(cpu_model) + "\t" + std::to_string(threads) + "\t" + one_field(device) + "\t" + one_field(type);
}

std::string cpu_model_name() {
  std::ifstream in("/proc/cpuinfo");
  for (std::string line; std::getline(in, line);) {
    if (line.rfind("model name", 0) != 0) continue;
    const size_t colon = line.find(':');
    if (colon != std::string::npos) return line.substr(line.find_first_not_of(" \t", colon + 1));
  }
  return "unknown";
}

bool read_calibration(const std::string& path, const CalibrationKey& key, CpuRates& rates) {
  const std::string prefix = key.text() + "\t";
  for (const std::string& line : read_lines(path)) {
    if (line.rfind(prefix, 0) == 0 && parse_rates(line.substr(prefix.size()), rates)) return true;
  }
  return false;
}

void write_calibration(const std::string& path, const CalibrationKey& key, const CpuRates& rates) {
  const std::string prefix = key.text() + "\t";
  const std::string tmp = path + ".tmp";
  {
    std::ofstream out(tmp, std::ios::trunc);
    for (const std::string& line : read_lines(path)) {
      if (!line.empty() && line.rfind(prefix, 0) != 0) out << line << "\n";
    }
    out << prefix << rates_text(rates) << "\n";
    if (!out.flush()) throw EngineError(NT_E_IO, "cannot write the calibration cache " + tmp);
  }
  if (std::rename(tmp.c_str(), path.c_str()) != 0) {
    std::remove(tmp.c_str());
    throw EngineError(NT_E_IO, "cannot replace the calibration cache " + path + ": " + std::strerror(errno));
  }
}

CpuRates calibrate_dual(StreamDevice& device, const CalibrationKey& key, uint32_t type, const std::string& cache_path,
                        bool recalibrate) {
  static std::mutex mutex;
  static std::map<std::string, CpuRates> process_cache;
  std::lock_guard<std::mutex> lock(mutex);
  CpuRates rates;
  if (!recalibrate) {
    const auto it = process_cache.find(key.text());
    if (it != process_cache.end()) return it->second;
    if (!cache_path.empty() && read_calibration(cache_path, key, rates)) return process_cache[key.text()] = rates;
  }
  rates = measure(device, key, type);
  process_cache[key.text()] = rates;
  if (!cache_path.empty()) {
    try {
      write_calibration(cache_path, key, rates);
    } catch (const EngineError&) {
      // An unwritable cache costs the next load a measurement, never this load.
    }
  }
  return rates;
}

}  // namespace nt
