// Chooses the next token from logits: penalties → top-k → top-p → min-p → temperature → a draw
// from a seeded generator, the order of llama.cpp's default sampler chain. The same seed, logits
// and history always give the same token.
#pragma once

#include <cstdint>
#include <random>
#include <vector>

#include "sample/sampling_params.h"
#include "sample/top_candidates.h"

namespace nt {

class Sampler {
 public:
  Sampler(const SamplingParams& params, int32_t n_vocab);

  // recent: the sequence's tokens so far (prompt included); only the last penalty_last_n count.
  int32_t sample(const float* logits, const std::vector<int32_t>& recent);

  // How many top candidates per row (top_candidates.h) give the same token as all the logits: 1
  // for greedy, top_k when 0 < top_k <= kMaxTopCandidates; 0 when the full logits are needed (a
  // penalty changes logits outside the top, or top-k is off or wider than kMaxTopCandidates).
  int32_t candidates_needed() const;

  // The token sample(logits, recent) would choose, drawing the same numbers from the generator,
  // given the logits' top candidates_needed() candidates (or more; fewer only when the vocabulary
  // is smaller). Throws NT_E_INTERNAL when candidates_needed() is 0 or too few are given.
  int32_t sample(const TopCandidates& candidates);

 private:
  bool penalties_active() const;
  void apply_penalties(std::vector<Candidate>& c, const std::vector<int32_t>& recent) const;
  void keep_top_k(std::vector<Candidate>& c) const;
  void keep_top_p(std::vector<Candidate>& c) const;
  void keep_min_p(std::vector<Candidate>& c) const;
  int32_t draw(std::vector<Candidate>& c);

  SamplingParams params_;
  int32_t n_vocab_;
  std::mt19937_64 rng_;
};

// log softmax(logits)[token]: the model's own log-probability of a token, before any sampling
// transform (what OpenAI's and llama-server's logprobs report).
float token_logprob(const float* logits, int32_t n_vocab, int32_t token);

}  // namespace nt
