// What one nt-bench run measured, independent of how it is printed (bench_table, bench_json).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "backend/op_profile.h"
#include "tier/tier_plan.h"

namespace nt::bench {

// The weight streamer's per-stage timers over one test's timed repetitions (the delta of
// Model::stream_stats()), divided by the streamed passes they cover.
struct StagesPerPass {
  uint64_t passes = 0;  // 0: nothing streamed (every weight resident), the rest is then 0
  double read_ms = 0, h2d_ms = 0, compute_ms = 0, stall_ms = 0;
  double bytes_read = 0, bytes_copied = 0;
};

struct TestResult {
  std::string name;              // "pp512", "tg128", "tg32@d8192", "pp8+tg16 x4"
  int32_t depth = 0;             // positions in the cache before the test's (-d)
  double kv_positions_per_pass = 0;  // cached positions a pass's attention reads, on average (the bound's K/V term)
  int32_t sequences = 1;         // decoding together (--parallel); tokens counts all of theirs
  int32_t tokens = 0;            // per repetition
  int32_t passes_per_rep = 0;    // forward passes per repetition
  std::vector<double> tok_s;     // one figure per repetition
  double mean = 0, sd = 0;
  double bound_tok_s = 0;        // 0: no bound (nothing is read per pass)
  double ratio = 0;              // mean / bound; 0 without a bound
  double dual_bound_tok_s = 0;   // the dual path's bound (link_bound.h); 0 when uncalibrated
  double dual_ratio = 0;
  StagesPerPass stages;
  bool profiled = false;         // --profile ran: `profile` holds one pass of the test's shape
  OpProfile profile;
  int32_t profile_depth = 0;     // the profiled pass's first position (its attention's context)
};

struct LinkFigures {
  LinkSpeeds speeds;
  bool remeasured = false;  // true: measured by nt-bench after the tests; false: the load-time figures
  std::string remeasure_error;  // why --measure-links fell back to the load-time figures
};

struct ModelResult {
  std::string path;
  std::string name;             // the file name, for the table
  uint64_t size_bytes = 0;      // every tensor's bytes
  uint64_t params = 0;          // every tensor's element count
  std::string backend;          // Model::backend_name()
  int32_t threads = 0;
  int32_t n_ctx = 0, n_batch = 0;
  std::string kv_type;          // the KV cache's storage
  bool direct_io = false;
  TierPlan plan;                // as planned at load, with the load-time links
  uint64_t kv_bytes_per_position = 0;  // keys and values of one position, every layer, in the cache's type
  LinkFigures links;            // what the bounds below use
  PassTime pass;                // the plan's pass time under `links`
  double decode_bound_tok_s = 0;
  double dual_bound_tok_s = 0;  // (B_h2d + B_cpu measured together) / non-resident bytes; 0 when uncalibrated
  std::vector<TestResult> tests;
};

}  // namespace nt::bench
