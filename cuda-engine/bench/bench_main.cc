// nt-bench: the standalone benchmark for the GPU machine, which has no node. Without -m it
// reports the build and the devices; with -m it runs llama-bench's pp and tg tests on each model
// through the engine's C++ API and prints every figure next to its DESIGN §3 bound, with the
// link speeds that bound comes from and the streamer's per-stage times.
#include <cstdio>
#include <new>
#include <string>
#include <vector>

#include "backend/device_report.h"
#include "bench_args.h"
#include "bench_json.h"
#include "bench_model.h"
#include "bench_table.h"
#include "core/engine_error.h"
#include "device_report_text.h"

namespace {

using nt::bench::BenchArgs;
using nt::bench::ModelResult;

// Runs every model in turn; the first engine failure stops the run (as llama-bench) and is
// returned as "<code>: <message>", with the models measured before it kept in `results`.
std::string bench_all(const BenchArgs& args, std::vector<ModelResult>& results) {
  for (const std::string& path : args.models) {
    try {
      results.push_back(nt::bench::bench_model(path, args));
    } catch (const nt::EngineError& e) {
      return e.code() + ": " + e.what();
    } catch (const std::bad_alloc&) {
      return "NT_E_OUT_OF_MEMORY: out of host memory benchmarking " + path;
    } catch (const std::exception& e) {
      return "NT_E_INTERNAL: " + std::string(e.what());
    }
  }
  return "";
}

int report(const BenchArgs& args, const nt::DeviceReport& devices, const std::vector<ModelResult>& results,
           const std::string& error) {
  if (args.json) {
    nt::bench::print_json(stdout, devices, results, error);
  } else if (!results.empty()) {
    nt::bench::print_table(stdout, results);
  }
  if (error.empty()) return 0;
  std::fprintf(stderr, "nt-bench: %s\n", error.c_str());
  return 1;
}

}  // namespace

int main(int argc, char** argv) {
  BenchArgs args;
  try {
    args = nt::bench::parse_bench_args(argc, argv);
  } catch (const nt::bench::UsageError& e) {
    std::fprintf(stderr, "nt-bench: %s (nt-bench --help lists the options)\n", e.what());
    return 2;
  }
  if (args.help) {
    std::fputs(nt::bench::bench_usage(), stdout);
    return 0;
  }
  const nt::DeviceReport devices = nt::query_devices();
  if (!args.json && (args.devices || args.models.empty())) nt::bench::print_device_text(stdout, devices);
  if (args.models.empty()) {
    if (args.json) nt::bench::print_json(stdout, devices, {}, "");
    else std::printf("no model given (-m FILE): nothing measured\n");
    return 0;
  }
  std::vector<ModelResult> results;
  const std::string error = bench_all(args, results);
  return report(args, devices, results, error);
}
