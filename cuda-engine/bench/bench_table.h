// nt-bench's text output: llama-bench's markdown table, one row per model and test, then per
// model the links the bounds come from, the bound's formula (DESIGN §3: written next to every
// benchmark) and the streamer's per-stage times of each test.
#pragma once

#include <cstdio>
#include <vector>

#include "bench_result.h"

namespace nt::bench {

void print_table(std::FILE* out, const std::vector<ModelResult>& results);

}  // namespace nt::bench
