// The two llama-bench tests on a loaded model. Times are wall-clock around Model::forward, which
// returns once the logits are on the host, so each figure covers the device's work too.
#pragma once

#include <cstdint>
#include <memory>
#include <vector>

#include "bench_result.h"
#include "model/model.h"

namespace nt::bench {

// Positions already in the cache when a test starts (llama-bench -d): `cache` holds them
// (cache_at_depth), and every run of the test writes its tokens after them, over the previous
// run's (a pass reads positions 0..its own, so what the last run wrote is never read again).
// positions 0: a fresh cache for every run, as without -d.
struct Depth {
  int32_t positions = 0;
  KvCache* cache = nullptr;
};

// A fresh cache holding `depth` positions: the prompt depth_tokens(depth, n_vocab) in passes of at
// most n_batch tokens, untimed, the last pass asking for the next token as a prompt does.
std::unique_ptr<KvCache> cache_at_depth(Model& model, int32_t depth, int32_t n_batch);
std::vector<int32_t> depth_tokens(int32_t depth, int32_t n_vocab);

// pp<tokens>: one warm-up, then `repetitions` runs, each a fresh cache and `tokens` random ids
// (fixed seed) at positions 0..tokens-1 in passes of at most n_batch, logits for the last only.
// With a depth: "pp<tokens>@d<depth>", positions depth..depth+tokens-1 after the depth's.
// Fills name, depth, tokens, passes_per_rep, kv_positions_per_pass, tok_s, mean, sd and stages;
// the bound is the caller's.
TestResult run_prompt_test(Model& model, int32_t tokens, int32_t n_batch, int32_t repetitions,
                           const Depth& depth = {});

// tg<tokens>: one single-token warm-up, then `repetitions` runs, each a fresh cache and `tokens`
// one-token passes (positions 0..tokens-1, logits every time), as llama-bench: no prompt first.
// With a depth: "tg<tokens>@d<depth>", positions depth..depth+tokens-1 (the warm-up at depth).
TestResult run_generation_test(Model& model, int32_t tokens, int32_t repetitions, const Depth& depth = {});

// pp<prompt>+tg<gen> xN (llama-batched-bench -npp prompt -ntg gen -npl N): N fresh caches; one
// pass with every sequence's `prompt` random ids, which yields each one's first token, then
// gen - 1 passes of N tokens (one per sequence, logits for each), all timed, as the generation
// loop serves N requests. One warm-up run, then `repetitions`. tokens = N × gen, passes_per_rep
// = gen, so the caller's bound is N × the tg bound: a pass streams the weights once for all N.
TestResult run_parallel_test(Model& model, int32_t sequences, int32_t prompt, int32_t gen, int32_t repetitions);

// The same `count` ids every run and build (a fixed seed), each below n_vocab.
std::vector<int32_t> random_tokens(int32_t count, int32_t n_vocab);

}  // namespace nt::bench
