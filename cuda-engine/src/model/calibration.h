// The dual path's calibration at load (stream/measure_dual.h over the CPU backend's own layer
// forward on copies of the model's layers, model/calibration_layers.h), cached per machine in a
// file so that a load pays for it once: keyed by the CPU model, the thread count, the compute
// device and the work measured (the layers' shape and types). The file is the daemon's state
// (ntd passes <stateDir>/cache/calibration.tsv); `recalibrate` measures again and replaces the
// entry. Without a file the figures are kept for the process only. Each line starts with the
// format's version (kCalibrationVersion): lines of another version (figures measured another
// way) are never read, and a rewrite drops them, so they are measured again.
#pragma once

#include <cstdint>
#include <string>

#include "backend/stream_device.h"
#include "model/weights.h"
#include "tier/tier_plan.h"

namespace nt {

// v1 (no version field) timed one synthetic matrix of the dominant type; v2 a layer forward, with
// the together run's copies from a cache-sized source; v3 copies from 1 GiB (measure_dual.h) and
// layers of at least 2 GiB (calibration_layers.h), both past the CPU's cache; v4 the same, with
// the CPU's decode products read as four streams of rows (cpu/matmul.cc: about twice v3's rate on
// a Xeon), so v3's figures no longer describe this code.
constexpr const char* kCalibrationVersion = "v4";

struct CalibrationKey {
  std::string cpu_model;  // /proc/cpuinfo's "model name"
  int32_t threads = 0;
  std::string device;     // "cpu", or "cuda <device name>"
  std::string work;       // what was measured (CalibrationLayers::signature)
  std::string text() const;  // one line, tabs between the parts
};

// The CPU's model name, as /proc/cpuinfo says it ("unknown" where it does not).
std::string cpu_model_name();

// The cached entry for `key` in `path`, if any. A missing or unreadable file is no entry; a
// malformed line is skipped (the cache is a cache: measuring again is always correct).
bool read_calibration(const std::string& path, const CalibrationKey& key, CpuRates& rates);

// Writes `rates` for `key` into `path`, keeping the other keys' lines (write to a temporary file,
// then rename). Throws EngineError NT_E_IO naming the path when it cannot be written.
void write_calibration(const std::string& path, const CalibrationKey& key, const CpuRates& rates);

// The rates for this machine: from the cache unless `recalibrate`, else measured by the CPU
// backend's forward over copies of the model's layers (shapes: the model's views; their data is
// not read) in pinned memory, at key.threads threads, with keys and values of kv_type.
CpuRates calibrate_dual(StreamDevice& device, const CalibrationKey& key, const Hparams& h, const ModelWeights& shapes,
                        GgmlType kv_type, const std::string& cache_path, bool recalibrate);

}  // namespace nt
