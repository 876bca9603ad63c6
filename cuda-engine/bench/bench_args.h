// The command line of nt-bench, parsed by hand (no dependencies on the GPU machine).
#pragma once

#include <cstdint>
#include <stdexcept>
#include <string>
#include <vector>

namespace nt::bench {

struct BenchArgs {
  std::vector<std::string> models;  // -m, repeatable; none: print the device report only
  std::string backend = "auto";     // --backend auto|cpu|cuda
  int64_t vram_budget = -1;         // --vram-budget SIZE; -1: the engine's default (free memory)
  int64_t pinned_budget = -1;       // --pinned-budget SIZE; -1: the engine's default
  int32_t staging_slots = 3;        // --staging-slots N (>= 3)
  std::string kv_type = "f16";      // --kv-type f32|f16|q8_0 (-ctk/-ctv of llama-bench)
  int32_t n_prompt = 512;           // -p N: the pp test's tokens; 0 skips it
  int32_t n_gen = 128;              // -n N: the tg test's tokens; 0 skips it
  int32_t n_batch = 0;              // -b N: tokens per prefill pass; 0: all of -p in one pass
  std::vector<int32_t> depths{0};   // -d 0,8192: pp and tg after that many positions already cached
  int32_t repetitions = 3;          // -r N
  int32_t threads = 0;              // -t N; 0: the engine's default (one per hardware thread)
  int32_t n_ctx = 0;                // --ctx N; 0: p + n + 16 (or P + G of --parallel, if more)
  std::vector<int32_t> parallel;    // --parallel 1,4,16: a batched test per count of sequences
  int32_t parallel_prompt = 8;      // --parallel-prompt N: each sequence's prompt (llama-batched-bench -npp)
  int32_t parallel_gen = 16;        // --parallel-gen N: tokens each sequence decodes (-ntg)
  std::string dual_path = "auto";   // --dual-path auto|on|off: tier D, the CPU computing blocks beside the link
  std::string dual_pattern;         // --dual-pattern GCGC...: a forced split, one letter per layer
  bool allow_buffered_io = false;   // --allow-buffered-io: tier C through the page cache where
                                    // O_DIRECT is refused (tmpfs), reported as "buffered"
  bool measure_links = false;       // --measure-links: re-measure the links after the tests
  bool profile = false;             // --profile: after each test, one pass of its shape timed op by op
  bool json = false;                // --json
  bool devices = false;             // --devices: the device report before the table
  bool help = false;                // -h, --help

  // Tokens per prefill pass: -b, else all of -p, else (only a depth to fill) up to 512.
  int32_t batch_tokens() const;
  int32_t max_depth() const;
  // Per sequence: --ctx, else the deepest -d + p + n + 16, or a batched sequence's prompt and
  // tokens if more.
  int32_t context_tokens() const;
  int32_t most_parallel() const;
  // Positions of the KV pool: the pp/tg tests' context, or every batched sequence's, whichever is more.
  int32_t kv_positions() const;
};

// A command line nt-bench cannot run; the message names the flag. main prints it, exits 2.
class UsageError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

BenchArgs parse_bench_args(int argc, char** argv);

const char* bench_usage();

}  // namespace nt::bench
