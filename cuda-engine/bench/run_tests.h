// The two llama-bench tests on a loaded model. Times are wall-clock around Model::forward, which
// returns once the logits are on the host, so each figure covers the device's work too.
#pragma once

#include <cstdint>

#include "bench_result.h"
#include "model/model.h"

namespace nt::bench {

// pp<tokens>: one warm-up, then `repetitions` runs, each a fresh cache and `tokens` random ids
// (fixed seed) at positions 0..tokens-1 in passes of at most n_batch, logits for the last only.
// Fills name, tokens, passes_per_rep, tok_s, mean, sd and stages; the bound is the caller's.
TestResult run_prompt_test(Model& model, int32_t tokens, int32_t n_batch, int32_t repetitions);

// tg<tokens>: one single-token warm-up, then `repetitions` runs, each a fresh cache and `tokens`
// one-token passes (positions 0..tokens-1, logits every time), as llama-bench: no prompt first.
TestResult run_generation_test(Model& model, int32_t tokens, int32_t repetitions);

}  // namespace nt::bench
