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

// One prompt through a fresh cache, n_batch tokens per pass; the next token after the last.
double time_prompt(Model& model, const std::vector<int32_t>& ids, int32_t n_batch, PassOutput& out) {
  auto cache = model.new_cache();
  const int32_t n = static_cast<int32_t>(ids.size());
  const Clock::time_point start = Clock::now();
  for (int32_t first = 0; first < n; first += n_batch) {
    Batch batch;
    for (int32_t pos = first; pos < std::min(n, first + n_batch); ++pos) {
      batch.push_back({cache.get(), ids[static_cast<size_t>(pos)], pos, pos == n - 1});
    }
    model.forward(batch, kGreedyCandidates, out);
  }
  return seconds_since(start);
}

// `count` single-token passes through a fresh cache, each choosing its next token (as decoding does).
double time_generation(Model& model, const std::vector<int32_t>& ids, int32_t count, PassOutput& out) {
  auto cache = model.new_cache();
  const Clock::time_point start = Clock::now();
  for (int32_t pos = 0; pos < count; ++pos) {
    model.forward({{cache.get(), ids[static_cast<size_t>(pos)], pos, true}}, kGreedyCandidates, out);
  }
  return seconds_since(start);
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

TestResult run_prompt_test(Model& model, int32_t tokens, int32_t n_batch, int32_t repetitions) {
  const std::vector<int32_t> ids = random_tokens(tokens, model.n_vocab());
  PassOutput out;
  const auto prompt = [&] { return time_prompt(model, ids, n_batch, out); };
  // Warm-up: first-touch pages, caches, kernel loads.
  return run_timed(model, "pp" + std::to_string(tokens), tokens, (tokens + n_batch - 1) / n_batch, repetitions,
                   [&] { prompt(); }, prompt);
}

TestResult run_generation_test(Model& model, int32_t tokens, int32_t repetitions) {
  const std::vector<int32_t> ids = random_tokens(tokens, model.n_vocab());
  PassOutput out;
  // Warm-up: one pass (on CUDA it records the decode graph).
  return run_timed(model, "tg" + std::to_string(tokens), tokens, tokens, repetitions,
                   [&] { time_generation(model, ids, 1, out); },
                   [&] { return time_generation(model, ids, tokens, out); });
}

}  // namespace nt::bench
