#include "run_tests.h"

#include <algorithm>
#include <chrono>
#include <functional>
#include <memory>
#include <random>
#include <string>
#include <utility>
#include <vector>

#include "sample_stats.h"

namespace nt::bench {

namespace {

using Clock = std::chrono::steady_clock;

double seconds_since(Clock::time_point start) {
  return std::chrono::duration<double>(Clock::now() - start).count();
}

// What a pass hands back: the top candidate and log-sum-exp of each row that wants logits, the
// greedy next token as generation gets it (sampled on the device where the backend can).
constexpr int32_t kGreedyCandidates = 1;

// The depth's cache, or a fresh one (kept alive by `fresh`) without a depth.
KvCache* cache_for(Model& model, const Depth& depth, std::unique_ptr<KvCache>& fresh) {
  if (depth.cache) return depth.cache;
  fresh = model.new_cache();
  return fresh.get();
}

// ids at positions first.., n_batch tokens per pass; the next token after the last.
void feed_prompt(Model& model, KvCache* cache, const std::vector<int32_t>& ids, int32_t first, int32_t n_batch,
                 PassOutput& out) {
  const int32_t n = static_cast<int32_t>(ids.size());
  for (int32_t i0 = 0; i0 < n; i0 += n_batch) {
    Batch batch;
    for (int32_t i = i0; i < std::min(n, i0 + n_batch); ++i) {
      batch.push_back({cache, ids[static_cast<size_t>(i)], first + i, i == n - 1});
    }
    model.forward(batch, kGreedyCandidates, out);
  }
}

// One prompt after the depth's positions, n_batch tokens per pass; the next token after the last.
double time_prompt(Model& model, const std::vector<int32_t>& ids, int32_t n_batch, const Depth& depth,
                   PassOutput& out) {
  std::unique_ptr<KvCache> fresh;
  KvCache* cache = cache_for(model, depth, fresh);
  const Clock::time_point start = Clock::now();
  feed_prompt(model, cache, ids, depth.positions, n_batch, out);
  return seconds_since(start);
}

// `count` single-token passes after the depth's positions, each choosing its next token (as
// decoding does).
double time_generation(Model& model, const std::vector<int32_t>& ids, int32_t count, const Depth& depth,
                       PassOutput& out) {
  std::unique_ptr<KvCache> fresh;
  KvCache* cache = cache_for(model, depth, fresh);
  const Clock::time_point start = Clock::now();
  for (int32_t i = 0; i < count; ++i) {
    model.forward({{cache, ids[static_cast<size_t>(i)], depth.positions + i, true}}, kGreedyCandidates, out);
  }
  return seconds_since(start);
}

std::string with_depth(std::string name, const Depth& depth) {
  return depth.positions > 0 ? name + "@d" + std::to_string(depth.positions) : name;
}

// The positions a pass of the prompt test reads on average: pass k's attention reads positions
// 0..its last, depth + min((k + 1) n_batch, tokens) of them.
double prompt_positions_per_pass(int32_t tokens, int32_t n_batch, int32_t depth) {
  double sum = 0;
  int32_t passes = 0;
  for (int32_t first = 0; first < tokens; first += n_batch, ++passes) {
    sum += static_cast<double>(depth) + std::min(tokens, first + n_batch);
  }
  return passes > 0 ? sum / passes : 0;
}

StagesPerPass stage_delta(const StreamStats& before, const StreamStats& after) {
  StagesPerPass s;
  s.passes = after.passes - before.passes;
  if (s.passes == 0) return s;
  const double n = static_cast<double>(s.passes);
  s.read_ms = (after.read_ms - before.read_ms) / n;
  s.h2d_ms = (after.h2d_ms - before.h2d_ms) / n;
  s.compute_ms = (after.compute_ms - before.compute_ms) / n;
  s.stall_ms = (after.stall_ms - before.stall_ms) / n;
  s.bytes_read = static_cast<double>(after.bytes_read - before.bytes_read) / n;
  s.bytes_copied = static_cast<double>(after.bytes_copied - before.bytes_copied) / n;
  return s;
}

void summarize(TestResult& r) {
  r.mean = mean_of(r.tok_s);
  r.sd = sd_of(r.tok_s);
}

// One untimed warm-up, then `repetitions` timed runs, each `tokens` / seconds, and the stage
// timers' change over the timed runs.
TestResult run_timed(Model& model, std::string name, int32_t tokens, int32_t passes_per_rep, int32_t repetitions,
                     const std::function<void()>& warm_up, const std::function<double()>& timed_run) {
  TestResult r;
  r.name = std::move(name);
  r.tokens = tokens;
  r.passes_per_rep = passes_per_rep;
  warm_up();
  const StreamStats before = model.stream_stats();
  for (int32_t rep = 0; rep < repetitions; ++rep) r.tok_s.push_back(tokens / timed_run());
  r.stages = stage_delta(before, model.stream_stats());
  summarize(r);
  return r;
}

// As the generation loop runs N requests: one pass with every sequence's prompt (Model::forward
// splits it at n_batch), which yields each one's first token, then gen - 1 passes of one token per
// sequence. All of it is timed: gen passes for N × gen tokens.
double time_parallel(Model& model, const std::vector<int32_t>& ids, int32_t sequences, int32_t prompt, int32_t gen,
                     PassOutput& out) {
  std::vector<std::unique_ptr<KvCache>> caches;
  Batch prefill;
  for (int32_t s = 0; s < sequences; ++s) {
    caches.push_back(model.new_cache());
    for (int32_t pos = 0; pos < prompt; ++pos) {
      prefill.push_back({caches.back().get(), ids[static_cast<size_t>(s * prompt + pos)], pos, pos == prompt - 1});
    }
  }
  const Clock::time_point start = Clock::now();
  model.forward(prefill, kGreedyCandidates, out);
  for (int32_t step = 1; step < gen; ++step) {
    Batch batch;
    for (int32_t s = 0; s < sequences; ++s) {
      const int32_t id = ids[static_cast<size_t>(s + step)];
      batch.push_back({caches[static_cast<size_t>(s)].get(), id, prompt + step - 1, true});
    }
    model.forward(batch, kGreedyCandidates, out);
  }
  return seconds_since(start);
}

}  // namespace

// mt19937's output sequence is fixed by the standard (its distributions are not, hence the modulo).
std::vector<int32_t> random_tokens(int32_t count, int32_t n_vocab) {
  std::mt19937 rng(5489u);
  std::vector<int32_t> ids(static_cast<size_t>(count));
  for (int32_t& id : ids) id = static_cast<int32_t>(rng() % static_cast<uint32_t>(n_vocab));
  return ids;
}

TestResult run_parallel_test(Model& model, int32_t sequences, int32_t prompt, int32_t gen, int32_t repetitions) {
  const std::vector<int32_t> ids = random_tokens(sequences * prompt + gen, model.n_vocab());
  PassOutput out;
  const auto run = [&] { return time_parallel(model, ids, sequences, prompt, gen, out); };
  TestResult r = run_timed(model, "pp" + std::to_string(prompt) + "+tg" + std::to_string(gen) + " x" +
                                      std::to_string(sequences),
                           sequences * gen, gen, repetitions, [&] { run(); }, run);
  r.sequences = sequences;
  return r;
}

std::vector<int32_t> depth_tokens(int32_t depth, int32_t n_vocab) {
  std::vector<int32_t> ids = random_tokens(depth, n_vocab);
  std::reverse(ids.begin(), ids.end());  // not the tests' own ids, which start the same sequence
  return ids;
}

std::unique_ptr<KvCache> cache_at_depth(Model& model, int32_t depth, int32_t n_batch) {
  std::unique_ptr<KvCache> cache = model.new_cache();
  PassOutput out;
  if (depth > 0) feed_prompt(model, cache.get(), depth_tokens(depth, model.n_vocab()), 0, n_batch, out);
  return cache;
}

TestResult run_prompt_test(Model& model, int32_t tokens, int32_t n_batch, int32_t repetitions, const Depth& depth) {
  const std::vector<int32_t> ids = random_tokens(tokens, model.n_vocab());
  PassOutput out;
  const auto prompt = [&] { return time_prompt(model, ids, n_batch, depth, out); };
  // Warm-up: first-touch pages, caches, kernel loads.
  TestResult r = run_timed(model, with_depth("pp" + std::to_string(tokens), depth), tokens,
                           (tokens + n_batch - 1) / n_batch, repetitions, [&] { prompt(); }, prompt);
  r.depth = depth.positions;
  r.kv_positions_per_pass = prompt_positions_per_pass(tokens, n_batch, depth.positions);
  return r;
}

TestResult run_generation_test(Model& model, int32_t tokens, int32_t repetitions, const Depth& depth) {
  const std::vector<int32_t> ids = random_tokens(tokens, model.n_vocab());
  PassOutput out;
  // Warm-up: one pass (on CUDA it records the decode graph).
  TestResult r = run_timed(model, with_depth("tg" + std::to_string(tokens), depth), tokens, tokens, repetitions,
                           [&] { time_generation(model, ids, 1, depth, out); },
                           [&] { return time_generation(model, ids, tokens, depth, out); });
  r.depth = depth.positions;
  // Token i reads positions 0..depth + i: depth + (tokens + 1) / 2 of them on average.
  r.kv_positions_per_pass = depth.positions + (tokens + 1) / 2.0;
  return r;
}

}  // namespace nt::bench
