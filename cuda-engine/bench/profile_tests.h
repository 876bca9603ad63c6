// nt-bench --profile: after a test's timed runs, one more pass of its shape through
// Model::profile, each op timed (backend/op_profile.h), into the test's result.
#pragma once

#include <cstdint>

#include "bench_result.h"
#include "model/model.h"

namespace nt::bench {

// pp: the prompt's ids through a fresh cache in passes of n_batch, every pass profiled.
void profile_prompt(Model& model, int32_t tokens, int32_t n_batch, TestResult& r);

// tg: one token at the test's last position (tokens - 1), as deep as the test's deepest
// attention. The positions before it are filled unprofiled: all but one in one prompt pass,
// then one decode pass (so a dual-path model's host copy of the CPU layers' rows is current and
// the profiled pass's "kv sync" is a decode's, not the prompt's).
void profile_generation(Model& model, int32_t tokens, TestResult& r);

// pp<prompt>+tg<gen> xN: after every sequence's prompt and one decode step, one step of N tokens.
void profile_parallel(Model& model, int32_t sequences, int32_t prompt, TestResult& r);

}  // namespace nt::bench
