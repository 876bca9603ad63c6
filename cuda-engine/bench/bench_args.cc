#include "bench_args.h"

#include <algorithm>
#include <cerrno>
#include <climits>
#include <cstdlib>
#include <functional>
#include <map>

#include "backend/kv_pool.h"
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

// "1,4,16": whole numbers, each >= min.
std::vector<int32_t> parse_counts(const std::string& flag, const std::string& text, int32_t min) {
  std::vector<int32_t> counts;
  size_t start = 0;
  for (;;) {
    const size_t comma = text.find(',', start);
    const size_t length = comma == std::string::npos ? std::string::npos : comma - start;
    counts.push_back(parse_count(flag, text.substr(start, length), min));
    if (comma == std::string::npos) return counts;
    start = comma + 1;
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
      {"--kv-type",
       [](BenchArgs& a, const std::string& f, const std::string& v) {
         if (v != "f32" && v != "f16" && v != "q8_0") throw UsageError(f + ": '" + v + "' is not f32, f16 or q8_0");
         a.kv_type = v;
       }},
      {"--parallel",
       [](BenchArgs& a, const std::string& f, const std::string& v) { a.parallel = parse_counts(f, v, 1); }},
      {"-d", [](BenchArgs& a, const std::string& f, const std::string& v) { a.depths = parse_counts(f, v, 0); }},
      {"--parallel-prompt",
       [](BenchArgs& a, const std::string& f, const std::string& v) { a.parallel_prompt = parse_count(f, v, 1); }},
      {"--parallel-gen",
       [](BenchArgs& a, const std::string& f, const std::string& v) { a.parallel_gen = parse_count(f, v, 1); }},
  };
  return kFlags;
}

const std::map<std::string, bool BenchArgs::*>& switch_flags() {
  static const std::map<std::string, bool BenchArgs::*> kFlags = {
      {"--json", &BenchArgs::json},
      {"--devices", &BenchArgs::devices},
      {"--measure-links", &BenchArgs::measure_links},
      {"--profile", &BenchArgs::profile},
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
      {"--repetitions", "-r"}, {"--threads", "-t"}, {"-c", "--ctx"}, {"--ctx-size", "--ctx"}, {"--n-depth", "-d"},
      {"-npl", "--parallel"}, {"-npp", "--parallel-prompt"}, {"-ntg", "--parallel-gen"},
  };
  const auto it = kAliases.find(flag);
  return it == kAliases.end() ? flag : it->second;
}

void check_consistent(const BenchArgs& a) {
  const int64_t depth = a.max_depth();
  if (a.n_ctx > 0 && (a.n_ctx < depth + a.n_prompt || a.n_ctx < depth + a.n_gen)) {
    throw UsageError("--ctx: " + std::to_string(a.n_ctx) + " positions cannot hold -d " + std::to_string(depth) +
                     " + -p " + std::to_string(a.n_prompt) + " or -d " + std::to_string(depth) + " + -n " +
                     std::to_string(a.n_gen) + " (each test starts from a cache of -d positions)");
  }
  if (a.n_ctx == 0 && depth + a.n_prompt + a.n_gen + 16 > INT32_MAX) {
    throw UsageError("-d: " + std::to_string(depth) + " positions and the tests' tokens exceed 2^31 positions");
  }
  if (!a.parallel.empty() && a.n_ctx > 0 && a.n_ctx < a.parallel_prompt + a.parallel_gen) {
    throw UsageError("--ctx: " + std::to_string(a.n_ctx) + " positions cannot hold --parallel-prompt " +
                     std::to_string(a.parallel_prompt) + " + --parallel-gen " + std::to_string(a.parallel_gen));
  }
}

}  // namespace

int32_t BenchArgs::batch_tokens() const {
  if (n_batch > 0) return n_batch;
  if (n_prompt > 0) return n_prompt;
  // A tg-only run fills its depth in passes of llama.cpp's default micro-batch.
  return std::clamp(max_depth(), 1, 512);
}

int32_t BenchArgs::max_depth() const { return depths.empty() ? 0 : *std::max_element(depths.begin(), depths.end()); }

int32_t BenchArgs::context_tokens() const {
  if (n_ctx > 0) return n_ctx;
  return std::max(max_depth() + n_prompt + n_gen + 16, parallel.empty() ? 0 : parallel_prompt + parallel_gen);
}

int32_t BenchArgs::most_parallel() const {
  int32_t most = 1;
  for (int32_t n : parallel) most = std::max(most, n);
  return most;
}

int32_t BenchArgs::kv_positions() const {
  // Each sequence takes whole blocks.
  const int64_t per_sequence =
      parallel.empty() ? 0 : KvPool::blocks_for(int64_t{parallel_prompt} + parallel_gen) * KvPool::kBlockPositions;
  const int64_t positions = std::max<int64_t>(context_tokens(), per_sequence * most_parallel());
  if (positions > INT32_MAX) throw UsageError("--parallel: the sequences' KV cache would exceed 2^31 positions");
  return static_cast<int32_t>(positions);
}

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
         "                            link copies the others; calibrates the CPU at load (default auto)\n"
         "  --dual-pattern GCGC...    force the split: one G (device) or C (CPU) per layer\n"
         "  --kv-type f32|f16|q8_0    KV cache storage (default f16)\n"
         "  -p, --n-prompt N          prompt tokens of the pp test, 0 skips it (default 512)\n"
         "  -n, --n-gen N             generated tokens of the tg test, 0 skips it (default 128)\n"
         "  -b, --batch-size N        tokens per prefill pass (default: -p, or up to 512 of -d when -p is 0)\n"
         "  -d, --n-depth N[,N...]    run pp and tg after N positions already in the cache, filled by an\n"
         "                            untimed prompt in passes of -b (llama-bench -d; default 0)\n"
         "  -r, --repetitions N       repetitions per test (default 3)\n"
         "  -t, --threads N           CPU threads (default: one per hardware thread)\n"
         "  -c, --ctx N               context positions (default d + p + n + 16, d the deepest -d)\n"
         "  --parallel N[,N...]       batched tests: N sequences decode together after a prompt each\n"
         "                            (llama-batched-bench -npl); aggregate t/s beside N x the tg bound\n"
         "  --parallel-prompt N       each batched sequence's prompt tokens (default 8; -npp)\n"
         "  --parallel-gen N          tokens each batched sequence decodes (default 16; -ntg)\n"
         "  --allow-buffered-io       read tier C through the page cache where O_DIRECT is refused\n"
         "  --measure-links           re-measure H2D / storage / VRAM after the tests and use those for the bounds\n"
         "  --profile                 after each test, one more pass of its shape (tg: one token at the test's\n"
         "                            last position; pp: the prompt) without the CUDA graph, timed op by op\n"
         "  --json                    one JSON object on stdout\n"
         "  --devices                 print the device report before the results\n"
         "\n"
         "Sizes: bytes, or a number with KiB/MiB/GiB/TiB (x1024) or KB/MB/GB/TB (x1000); auto: the default.\n"
         "Exit status: 0 done, 1 engine error (nt-bench: <code>: <message>), 2 usage error.\n";
}

}  // namespace nt::bench
