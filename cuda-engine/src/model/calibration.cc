#include "model/calibration.h"

#include <algorithm>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <map>
#include <mutex>
#include <sstream>
#include <vector>

#include "core/engine_error.h"
#include "model/calibration_layers.h"
#include "stream/measure_dual.h"

namespace nt {

namespace {

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

CpuRates measure(StreamDevice& device, const CalibrationKey& key, const Hparams& h, const ModelWeights& shapes,
                 GgmlType kv_type) {
  CalibrationLayers layers(device, h, shapes, kv_type, key.threads);
  DualMeasureOptions options;
  options.batch = std::min(options.batch, CalibrationLayers::kMaxBatch);
  return measure_dual(device, [&](int32_t batch) { layers.run(batch); }, layers.bytes(), options);
}

}  // namespace

std::string CalibrationKey::text() const {
  return std::string(kCalibrationVersion) + "\t" + one_field(cpu_model) + "\t" + std::to_string(threads) + "\t" +
         one_field(device) + "\t" + one_field(work);
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
    const std::string current = std::string(kCalibrationVersion) + "\t";
    for (const std::string& line : read_lines(path)) {
      if (line.rfind(current, 0) == 0 && line.rfind(prefix, 0) != 0) out << line << "\n";
    }
    out << prefix << rates_text(rates) << "\n";
    if (!out.flush()) throw EngineError(NT_E_IO, "cannot write the calibration cache " + tmp);
  }
  if (std::rename(tmp.c_str(), path.c_str()) != 0) {
    std::remove(tmp.c_str());
    throw EngineError(NT_E_IO, "cannot replace the calibration cache " + path + ": " + std::strerror(errno));
  }
}

CpuRates calibrate_dual(StreamDevice& device, const CalibrationKey& key, const Hparams& h, const ModelWeights& shapes,
                        GgmlType kv_type, const std::string& cache_path, bool recalibrate) {
  static std::mutex mutex;
  static std::map<std::string, CpuRates> process_cache;
  std::lock_guard<std::mutex> lock(mutex);
  CpuRates rates;
  if (!recalibrate) {
    const auto it = process_cache.find(key.text());
    if (it != process_cache.end()) return it->second;
    if (!cache_path.empty() && read_calibration(cache_path, key, rates)) return process_cache[key.text()] = rates;
  }
  rates = measure(device, key, h, shapes, kv_type);
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
