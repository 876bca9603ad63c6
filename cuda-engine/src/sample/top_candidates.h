// The few candidates a sampler looks at, instead of the whole vocabulary: a row's top k (id,
// logit) pairs and the log-sum-exp of all its logits, enough for greedy and top-k sampling and
// for the chosen token's log-probability (logit - log_sum_exp). A backend computes them where the
// logits are (cuda/kernels/top_candidates.h on the GPU), so only k pairs per row reach the host.
#pragma once

#include <cstdint>
#include <vector>

namespace nt {

struct Candidate {
  int32_t id;
  float logit;
};

// The candidates' order, everywhere: logit descending, ties by the lower id first (so the
// first-ranked token is what an argmax that keeps the first maximum picks). NaN ranks after
// every number, -inf included; NaNs among themselves by id.
inline bool ranks_before(const Candidate& a, const Candidate& b) {
  if (a.logit > b.logit) return true;
  if (a.logit < b.logit) return false;
  const bool a_nan = a.logit != a.logit, b_nan = b.logit != b.logit;
  if (a_nan != b_nan) return b_nan;
  return a.id < b.id;  // equal (+0 and -0 too), or both NaN
}

struct TopCandidates {
  float log_sum_exp = 0.0f;     // log Σ exp(logit) over all n_vocab logits
  std::vector<Candidate> top;   // the first k in ranks_before order
};

// The most candidates a pass returns per row (the largest top_k served without full logits).
constexpr int32_t kMaxTopCandidates = 64;

// The reference: the top min(k, n_vocab) candidates of one row of logits, and its log-sum-exp
// computed as token_logprob does (the first-ranked logit subtracted, the sum in double). -inf
// when every logit is -inf; NaN when any logit is NaN.
TopCandidates top_candidates(const float* logits, int32_t n_vocab, int32_t k);

}  // namespace nt
