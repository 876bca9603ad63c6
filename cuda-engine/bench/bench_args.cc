#include "bench_args.h"

#include <cerrno>
#include <climits>
#include <cstdlib>
#include <functional>
#include <map>

#include "parse_size.h"

namespace nt::bench {

namespace {

int32_t parse_count(const std::string& flag, const std::string& text, int32_t min) {
  errno = 0;
  char* end = nullptr;
  const long long value = std::strtoll(text.c_str(), &end, 10);
  if (text.empty() || *end != '\0' || errno == ERANGE || value < min || value > INT32_MAX) {
    throw UsageError(flag + ": '" + text + "' is not a whole number >= " + std::to_string(min));
  }
  return static_cast<int32_t>(value);
}

int64_t parse_budget(const std::string& flag, const std::string& text) {
  try {
    return parse_size(text);
  } catch (const std::invalid_argument& e) {
    throw UsageError(flag + ": " + e.what());
  }
}

using ValueFlag = std::function<void(BenchArgs&, const std::string& flag, const std::string& value)>;

const std::map<std::string, ValueFlag>& value_flags() {
  static const std::map<std::string, ValueFlag> kFlags = {
      {"-m", [](BenchArgs& a, const std::string&, const std::string& v) { a.models.push_back(v); }},
      {"--backend",
       [](BenchArgs& a, const std::string& f, const std::string& v) {
         if (v != "auto" && v != "cpu" && v != "cuda") throw UsageError(f + ": '" + v + "' is not auto, cpu or cuda");
         a.backend = v;
       }},
      {"--dual-path",
       [](BenchArgs& a, const std::string& f, const std::string& v) {
         if (v != "auto" && v != "on" && v != "off") throw UsageError(f + ": '" + v + "' is not auto, on or off");
         a.dual_path = v;
       }},
      {"--dual-pattern",
       [](BenchArgs& a, const std::string& f, const std::string& v) {
         if (v.empty() || v.find_first_not_of("GC") != std::string::npos) {
           throw UsageError(f + ": '" + v + "' is not a string of G and C, one per layer");
         }
         a.dual_pattern = v;
       }},
      {"--vram-budget", [](BenchArgs& a, const std::string& f, const std::string& v) { a.vram_budget = parse_budget(f, v); }},
      {"--pinned-budget",
       [](BenchArgs& a, const std::string& f, const std::string& v) { a.pinned_budget = parse_budget(f, v); }},
      // Three slots is the least that lets read, copy and compute all run at once (DESIGN §2).
      {"--staging-slots", [](BenchArgs& a, const std::string& f, const std::string& v) { a.staging_slots = parse_count(f, v, 3); }},
      {"-p", [](BenchArgs& a, const std::string& f, const std::string& v) { a.n_prompt = parse_count(f, v, 0); }},
      {"-n", [](BenchArgs& a, const std::string& f, const std::string& v) { a.n_gen = parse_count(f, v, 0); }},
      {"-b", [](BenchArgs& a, const std::string& f, const std::string& v) { a.n_batch = parse_count(f, v, 1); }},
      {"-r", [](BenchArgs& a, const std::string& f, const std::string& v) { a.repetitions = parse_count(f, v, 1); }},
      {"-t", [](BenchArgs& a, const std::string& f, const std::string& v) { a.threads = parse_count(f, v, 1); }},
      {"--ctx", [](BenchArgs& a, const std::string& f, const std::string& v) { a.n_ctx = parse_count(f, v, 1); }},
  };
  return kFlags;
}

const std::map<std::string, bool BenchArgs::*>& switch_flags() {
  static const std::map<std::string, bool BenchArgs::*> kFlags = {
      {"--json", &BenchArgs::json},
      {"--devices", &BenchArgs::devices},
      {"--measure-links", &BenchArgs::measure_links},
      {"--allow-buffered-io", &BenchArgs::allow_buffered_io},
      {"-h", &BenchArgs::help},
      {"--help", &BenchArgs::help},
  };
  return kFlags;
}

// Long aliases, so llama-bench's spellings work too.
std::string canonical(const std::string& flag) {
  static const std::map<std::string, std::string> kAliases = {
      {"--model", "-m"}, {"--n-prompt", "-p"}, {"--n-gen", "-n"}, {"--batch-size", "-b"},
      {"--repetitions", "-r"}, {"--threads", "-t"}, {"-c", "--ctx"}, {"--ctx-size", "--ctx"},
  };
  const auto it = kAliases.find(flag);
  return it == kAliases.end() ? flag : it->second;
}

void check_consistent(const BenchArgs& a) {
  if (a.n_ctx > 0 && (a.n_ctx < a.n_prompt || a.n_ctx < a.n_gen)) {
    throw UsageError("--ctx: " + std::to_string(a.n_ctx) + " positions cannot hold -p " + std::to_string(a.n_prompt) +
                     " or -n " + std::to_string(a.n_gen) + " (each test starts from an empty cache)");
  }
}

}  // namespace

BenchArgs parse_bench_args(int argc, char** argv) {
  BenchArgs args;
  for (int i = 1; i < argc; ++i) {
    std::string flag = argv[i];
    std::string value;
    bool has_value = false;
    // "--flag=value" as well as "--flag value".
    const size_t eq = flag.find('=');
    if (flag.rfind("--", 0) == 0 && eq != std::string::npos) {
      value = flag.substr(eq + 1);
      flag = flag.substr(0, eq);
      has_value = true;
    }
    flag = canonical(flag);
    if (const auto sw = switch_flags().find(flag); sw != switch_flags().end()) {
      if (has_value) throw UsageError(flag + " takes no value");
      args.*(sw->second) = true;
      continue;
    }
    const auto vf = value_flags().find(flag);
    if (vf == value_flags().end()) throw UsageError("unknown argument '" + std::string(argv[i]) + "'");
    if (!has_value) {
      if (i + 1 >= argc) throw UsageError(flag + " needs a value");
      value = argv[++i];
    }
    vf->second(args, flag, value);
  }
  check_consistent(args);
  return args;
}

const char* bench_usage() {
  return "usage: nt-bench [-m FILE]... [options]\n"
         "\n"
         "Without -m: reports the engine build and the compute devices.\n"
         "With -m: llama-bench-style pp/tg tests per model, each next to its bound (DESIGN 3).\n"
         "\n"
         "  -m, --model FILE          GGUF model to measure (repeatable)\n"
         "  --backend auto|cpu|cuda   compute backend (default auto)\n"
         "  --vram-budget SIZE        bytes for tier A, KV cache, activations, slots (24GiB, 512MiB, 1.5GB)\n"
         "  --pinned-budget SIZE      bytes of pinned host memory for tier B and staging\n"
         "  --staging-slots N         ring of staging buffers and device slots, >= 3 (default 3)\n"
         "  --dual-path auto|on|off   the CPU computes some streamed layers from pinned RAM (tier D) while the\n"
         "                            link copies the others; calibrates the CPU at load (default off)\n"
         "  --dual-pattern GCGC...    force the split: one G (device) or C (CPU) per layer\n"
         "  -p, --n-prompt N          prompt tokens of the pp test, 0 skips it (default 512)\n"
         "  -n, --n-gen N             generated tokens of the tg test, 0 skips it (default 128)\n"
         "  -b, --batch-size N        tokens per prefill pass (default: -p)\n"
         "  -r, --repetitions N       repetitions per test (default 3)\n"
         "  -t, --threads N           CPU threads (default: one per hardware thread)\n"
         "  -c, --ctx N               context positions (default p + n + 16)\n"
         "  --allow-buffered-io       read tier C through the page cache where O_DIRECT is refused\n"
         "  --measure-links           re-measure H2D / storage / VRAM after the tests and use those for the bounds\n"
         "  --json                    one JSON object on stdout\n"
         "  --devices                 print the device report before the results\n"
         "\n"
         "Sizes: bytes, or a number with KiB/MiB/GiB/TiB (x1024) or KB/MB/GB/TB (x1000); auto: the default.\n"
         "Exit status: 0 done, 1 engine error (nt-bench: <code>: <message>), 2 usage error.\n";
}

}  // namespace nt::bench
