#include "sample/sampler.h"

#include <algorithm>
#include <cmath>
#include <string>
#include <unordered_map>

#include "core/engine_error.h"

namespace nt {

Sampler::Sampler(const SamplingParams& params, int32_t n_vocab)
    : params_(params), n_vocab_(n_vocab), rng_(params.seed) {}

bool Sampler::penalties_active() const {
  return params_.repeat_penalty != 1.0f || params_.frequency_penalty != 0.0f || params_.presence_penalty != 0.0f;
}

// llama.cpp's penalties sampler: a repeated token's logit is divided by repeat_penalty when
// positive and multiplied when negative, then lowered by count × frequency + presence.
void Sampler::apply_penalties(std::vector<Candidate>& c, const std::vector<int32_t>& recent) const {
  if (!penalties_active()) return;
  const size_t window = params_.penalty_last_n < 0 ? recent.size()
                                                   : std::min(recent.size(), static_cast<size_t>(params_.penalty_last_n));
  std::unordered_map<int32_t, int> counts;
  for (size_t i = recent.size() - window; i < recent.size(); ++i) ++counts[recent[i]];
  for (const auto& [id, count] : counts) {
    if (id < 0 || id >= n_vocab_) continue;
    float& logit = c[id].logit;  // candidates are still indexed by id here
    logit = logit <= 0 ? logit * params_.repeat_penalty : logit / params_.repeat_penalty;
    logit -= count * params_.frequency_penalty + params_.presence_penalty;
  }
}

void Sampler::keep_top_k(std::vector<Candidate>& c) const {
  const size_t k = params_.top_k <= 0 ? c.size() : std::min(c.size(), static_cast<size_t>(params_.top_k));
  std::partial_sort(c.begin(), c.begin() + static_cast<std::ptrdiff_t>(k), c.end(), ranks_before);
  c.resize(k);
}

// Candidates are sorted by logit here. Keeps the smallest prefix whose probability reaches top_p.
void Sampler::keep_top_p(std::vector<Candidate>& c) const {
  if (params_.top_p >= 1.0f || c.size() <= 1) return;
  const float max_logit = c.front().logit;
  double total = 0.0;
  for (const auto& x : c) total += std::exp(static_cast<double>(x.logit - max_logit));
  double cumulative = 0.0;
  for (size_t i = 0; i < c.size(); ++i) {
    cumulative += std::exp(static_cast<double>(c[i].logit - max_logit)) / total;
    if (cumulative >= params_.top_p) {
      c.resize(i + 1);
      return;
    }
  }
}

// Keeps tokens whose probability is at least min_p times the most likely one's.
void Sampler::keep_min_p(std::vector<Candidate>& c) const {
  if (params_.min_p <= 0.0f || c.size() <= 1) return;
  const float threshold = c.front().logit + std::log(params_.min_p);
  size_t keep = 1;
  while (keep < c.size() && c[keep].logit >= threshold) ++keep;
  c.resize(keep);
}

int32_t Sampler::sample(const float* logits, const std::vector<int32_t>& recent) {
  std::vector<Candidate> c(n_vocab_);
  for (int32_t i = 0; i < n_vocab_; ++i) c[i] = {i, logits[i]};
  apply_penalties(c, recent);
  // Greedy: the first-ranked token, i.e. the lowest id among equal maxima.
  if (params_.temperature <= 0.0f) return std::min_element(c.begin(), c.end(), ranks_before)->id;
  keep_top_k(c);  // also sorts, which top-p and min-p rely on
  return draw(c);
}

int32_t Sampler::candidates_needed() const {
  if (penalties_active()) return 0;
  if (params_.temperature <= 0.0f) return 1;
  return params_.top_k > 0 && params_.top_k <= kMaxTopCandidates ? params_.top_k : 0;
}

int32_t Sampler::sample(const TopCandidates& candidates) {
  const int32_t needed = candidates_needed();
  if (needed == 0) throw EngineError(NT_E_INTERNAL, "this sampler needs all logits, not top candidates");
  if (static_cast<int64_t>(candidates.top.size()) < std::min(needed, n_vocab_)) {
    throw EngineError(NT_E_INTERNAL, "this sampler needs " + std::to_string(needed) + " candidates per row, not " +
                                         std::to_string(candidates.top.size()));
  }
  if (params_.temperature <= 0.0f) return candidates.top.front().id;
  // The same list keep_top_k leaves: the first top_k in ranks_before order.
  std::vector<Candidate> c(candidates.top.begin(),
                           candidates.top.begin() + std::min<std::ptrdiff_t>(needed, candidates.top.size()));
  return draw(c);
}

// top-p, min-p, temperature and the draw, on what top-k left (sorted by ranks_before).
int32_t Sampler::draw(std::vector<Candidate>& c) {
  keep_top_p(c);
  keep_min_p(c);
  const float max_logit = c.front().logit;
  std::vector<double> weights(c.size());
  for (size_t i = 0; i < c.size(); ++i) {
    weights[i] = std::exp(static_cast<double>((c[i].logit - max_logit) / params_.temperature));
  }
  std::discrete_distribution<size_t> pick(weights.begin(), weights.end());
  return c[pick(rng_)].id;
}

float token_logprob(const float* logits, int32_t n_vocab, int32_t token) {
  float max_logit = logits[0];
  for (int32_t i = 1; i < n_vocab; ++i) max_logit = std::max(max_logit, logits[i]);
  double sum = 0.0;
  for (int32_t i = 0; i < n_vocab; ++i) sum += std::exp(static_cast<double>(logits[i] - max_logit));
  return static_cast<float>(logits[token] - max_logit - std::log(sum));
}

}  // namespace nt
