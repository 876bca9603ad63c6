#include "profile_tests.h"

#include <algorithm>
#include <memory>
#include <vector>

#include "run_tests.h"

namespace nt::bench {

namespace {

// As the tests: the greedy next token of each row that wants logits.
constexpr int32_t kGreedyCandidates = 1;

}  // namespace

void profile_prompt(Model& model, int32_t tokens, int32_t n_batch, TestResult& r) {
  const std::vector<int32_t> ids = random_tokens(tokens, model.n_vocab());
  auto cache = model.new_cache();
  PassOutput out;
  for (int32_t first = 0; first < tokens; first += n_batch) {
    Batch batch;
    for (int32_t pos = first; pos < std::min(tokens, first + n_batch); ++pos) {
      batch.push_back({cache.get(), ids[static_cast<size_t>(pos)], pos, pos == tokens - 1});
    }
    model.profile(batch, kGreedyCandidates, out, r.profile);
  }
  r.profiled = true;
  r.profile_depth = 0;
}

void profile_generation(Model& model, int32_t tokens, TestResult& r) {
  const std::vector<int32_t> ids = random_tokens(tokens, model.n_vocab());
  auto cache = model.new_cache();
  PassOutput out;
  const int32_t last = tokens - 1;
  Batch prompt;
  for (int32_t pos = 0; pos + 1 < last; ++pos) prompt.push_back({cache.get(), ids[static_cast<size_t>(pos)], pos, false});
  if (!prompt.empty()) {
    prompt.back().want_logits = true;
    model.forward(prompt, kGreedyCandidates, out);
  }
  if (last >= 1) model.forward({{cache.get(), ids[static_cast<size_t>(last - 1)], last - 1, true}}, kGreedyCandidates, out);
  model.profile({{cache.get(), ids[static_cast<size_t>(last)], last, true}}, kGreedyCandidates, out, r.profile);
  r.profiled = true;
  r.profile_depth = last;
}

void profile_parallel(Model& model, int32_t sequences, int32_t prompt, TestResult& r) {
  const std::vector<int32_t> ids = random_tokens(sequences * prompt + 2, model.n_vocab());
  std::vector<std::unique_ptr<KvCache>> caches;
  Batch prefill;
  for (int32_t s = 0; s < sequences; ++s) {
    caches.push_back(model.new_cache());
    for (int32_t pos = 0; pos < prompt; ++pos) {
      prefill.push_back({caches.back().get(), ids[static_cast<size_t>(s * prompt + pos)], pos, pos == prompt - 1});
    }
  }
  PassOutput out;
  model.forward(prefill, kGreedyCandidates, out);
  const auto step = [&](int32_t k) {
    Batch batch;
    for (int32_t s = 0; s < sequences; ++s) {
      batch.push_back({caches[static_cast<size_t>(s)].get(), ids[static_cast<size_t>(s + k)], prompt + k, true});
    }
    return batch;
  };
  model.forward(step(0), kGreedyCandidates, out);
  model.profile(step(1), kGreedyCandidates, out, r.profile);
  r.profiled = true;
  r.profile_depth = prompt + 1;
}

}  // namespace nt::bench
