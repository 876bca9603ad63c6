// Chooses the next token from logits: penalties → top-k → top-p → min-p → temperature → a draw
// from a seeded generator, the order of llama.cpp's default sampler chain. The same seed, logits
// and history always give the same token.
#pragma once

#include <cstdint>
#include <random>
#include <vector>

#include "sample/sampling_params.h"

namespace nt {

class Sampler {
 public:
  Sampler(const SamplingParams& params, int32_t n_vocab);

  // recent: the sequence's tokens so far (prompt included); only the last penalty_last_n count.
  int32_t sample(const float* logits, const std::vector<int32_t>& recent);

 private:
  struct Candidate {
    int32_t id;
    float logit;
  };
  void apply_penalties(std::vector<Candidate>& c, const std::vector<int32_t>& recent) const;
  void keep_top_k(std::vector<Candidate>& c) const;
  void keep_top_p(std::vector<Candidate>& c) const;
  void keep_min_p(std::vector<Candidate>& c) const;

  SamplingParams params_;
  int32_t n_vocab_;
  std::mt19937_64 rng_;
};

// log softmax(logits)[token]: the model's own log-probability of a token, before any sampling
// transform (what OpenAI's and llama-server's logprobs report).
float token_logprob(const float* logits, int32_t n_vocab, int32_t token);

}  // namespace nt
