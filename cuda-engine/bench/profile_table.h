// The text of nt-bench --profile: per profiled test, its ops as a Markdown table (op, calls,
// ms per pass, share of the pass's wall time, weight bytes, GB/s), the ops' sum beside the wall
// time, and for a dual-path pass its segments.
#pragma once

#include <string>

#include "bench_result.h"

namespace nt::bench {

std::string profile_text(const std::string& model_name, const TestResult& t);

}  // namespace nt::bench
