// The two llama-bench tests on a loaded model. Times are wall-clock around Model::forward, which
// returns once the logits are on the host, so each figure covers the device's work too.
#pragma once

#include <cstdint>
#include <vector>

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

// pp<prompt>+tg<gen> xN (llama-batched-bench -npp prompt -ntg gen -npl N): N fresh caches; one
// pass with every sequence's `prompt` random ids, which yields each one's first token, then
// gen - 1 passes of N tokens (one per sequence, logits for each), all timed, as the generation
// loop serves N requests. One warm-up run, then `repetitions`. tokens = N × gen, passes_per_rep
// = gen, so the caller's bound is N × the tg bound: a pass streams the weights once for all N.
TestResult run_parallel_test(Model& model, int32_t sequences, int32_t prompt, int32_t gen, int32_t repetitions);

// The same `count` ids every run and build (a fixed seed), each below n_vocab.
std::vector<int32_t> random_tokens(int32_t count, int32_t n_vocab);

}  // namespace nt::bench
