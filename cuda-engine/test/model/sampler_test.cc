#include <gtest/gtest.h>

#include <cmath>
#include <random>
#include <vector>

#include "core/engine_error.h"
#include "model/tied_logits.h"
#include "sample/sampler.h"
#include "sample/top_candidates.h"

namespace nt {

namespace {

SamplingParams greedy() {
  SamplingParams p;
  p.temperature = 0;
  return p;
}

// Draws `draws` tokens from fresh random logits with two samplers of the same params and seed,
// one given all logits and one the top candidates (exactly as many as it needs, or the most a
// pass returns, as when a batch mixes samplers): the tokens must be the same.
void expect_same_draws(const SamplingParams& p, int draws = 300) {
  const int32_t n_vocab = 777;
  Sampler full(p, n_vocab), from_top(p, n_vocab);
  const int32_t needed = from_top.candidates_needed();
  ASSERT_GT(needed, 0);
  std::mt19937 rng(static_cast<uint32_t>(p.seed));
  for (int i = 0; i < draws; ++i) {
    const std::vector<float> logits = test::tied_logits(n_vocab, rng);
    const int32_t k = i % 2 == 0 ? needed : kMaxTopCandidates;
    const int32_t expected = full.sample(logits.data(), {});
    ASSERT_EQ(from_top.sample(top_candidates(logits.data(), n_vocab, k)), expected) << "draw " << i << ", k " << k;
  }
}

}  // namespace

TEST(Sampler, TopCandidatesGiveTheSameTokensAsAllLogits) {
  SamplingParams g = greedy();
  g.top_k = 0;  // greedy needs one candidate whatever top_k says
  expect_same_draws(g);
  uint64_t seed = 1;
  for (const int32_t top_k : {1, 5, 40, 64}) {
    for (const float top_p : {1.0f, 0.9f, 0.5f}) {
      for (const float min_p : {0.0f, 0.05f}) {
        for (const float temperature : {0.2f, 0.8f, 1.5f}) {
          SamplingParams p;
          p.top_k = top_k;
          p.top_p = top_p;
          p.min_p = min_p;
          p.temperature = temperature;
          p.seed = seed++;
          SCOPED_TRACE(testing::Message() << "top_k " << top_k << ", top_p " << top_p << ", min_p " << min_p
                                          << ", temperature " << temperature);
          expect_same_draws(p);
        }
      }
    }
  }
}

TEST(Sampler, NeedsAllLogitsForPenaltiesAndWideOrNoTopK) {
  SamplingParams p;
  p.top_k = 40;
  EXPECT_EQ(Sampler(p, 100).candidates_needed(), 40);
  EXPECT_EQ(Sampler(greedy(), 100).candidates_needed(), 1);
  p.top_k = kMaxTopCandidates;
  EXPECT_EQ(Sampler(p, 100).candidates_needed(), kMaxTopCandidates);
  p.top_k = kMaxTopCandidates + 1;
  EXPECT_EQ(Sampler(p, 100).candidates_needed(), 0);
  p.top_k = 0;
  EXPECT_EQ(Sampler(p, 100).candidates_needed(), 0);
  p.top_k = -1;
  EXPECT_EQ(Sampler(p, 100).candidates_needed(), 0);
  for (int which = 0; which < 3; ++which) {
    SamplingParams penalised = which == 0 ? greedy() : SamplingParams{};
    if (which == 0) penalised.repeat_penalty = 1.1f;
    if (which == 1) penalised.frequency_penalty = 0.5f;
    if (which == 2) penalised.presence_penalty = 0.5f;
    EXPECT_EQ(Sampler(penalised, 100).candidates_needed(), 0) << which;
  }
}

TEST(Sampler, RefusesTooFewCandidates) {
  SamplingParams p;
  p.top_k = 10;
  Sampler s(p, 100);
  const std::vector<float> logits(100, 0.0f);
  EXPECT_THROW(s.sample(top_candidates(logits.data(), 100, 9)), EngineError);
  p.top_k = 0;
  Sampler all(p, 100);
  EXPECT_THROW(all.sample(top_candidates(logits.data(), 100, 64)), EngineError);
}

TEST(Sampler, GreedyTakesTheArgmax) {
  Sampler s(greedy(), 4);
  const std::vector<float> logits = {0.1f, 3.0f, -1.0f, 2.9f};
  EXPECT_EQ(s.sample(logits.data(), {}), 1);
}

TEST(Sampler, RepeatPenaltyDividesPositiveAndMultipliesNegativeLogits) {
  SamplingParams p = greedy();
  p.repeat_penalty = 2.0f;
  Sampler s(p, 3);
  const std::vector<float> logits = {3.0f, 2.0f, -1.0f};
  EXPECT_EQ(s.sample(logits.data(), {0}), 1);  // 3 / 2 = 1.5 < 2
}

TEST(Sampler, FrequencyAndPresencePenaltiesSubtract) {
  SamplingParams p = greedy();
  p.frequency_penalty = 0.5f;
  p.presence_penalty = 0.2f;
  Sampler s(p, 2);
  const std::vector<float> logits = {2.0f, 1.0f};
  EXPECT_EQ(s.sample(logits.data(), {0, 0}), 1);  // 2 - 2·0.5 - 0.2 = 0.8 < 1
  EXPECT_EQ(s.sample(logits.data(), {0}), 0);     // 2 - 0.5 - 0.2 = 1.3 > 1
}

TEST(Sampler, TopKOfOneIsGreedyAtAnyTemperature) {
  SamplingParams p;
  p.temperature = 5.0f;
  p.top_k = 1;
  Sampler s(p, 5);
  const std::vector<float> logits = {0, 0.5f, 0.1f, 0.2f, 0};
  for (int i = 0; i < 50; ++i) EXPECT_EQ(s.sample(logits.data(), {}), 1);
}

TEST(Sampler, MinPDropsUnlikelyTokens) {
  SamplingParams p;
  p.temperature = 1.0f;
  p.top_k = 0;
  p.top_p = 1.0f;
  p.min_p = 0.5f;
  Sampler s(p, 3);
  const std::vector<float> logits = {0.0f, std::log(0.6f), std::log(0.4f)};  // p ∝ 1, .6, .4
  for (int i = 0; i < 200; ++i) EXPECT_NE(s.sample(logits.data(), {}), 2);
}

TEST(Sampler, TopPKeepsTheSmallestSetReachingP) {
  SamplingParams p;
  p.temperature = 1.0f;
  p.top_k = 0;
  p.min_p = 0;
  p.top_p = 0.7f;
  Sampler s(p, 3);
  const std::vector<float> logits = {std::log(0.6f), std::log(0.3f), std::log(0.1f)};
  for (int i = 0; i < 200; ++i) EXPECT_NE(s.sample(logits.data(), {}), 2);
}

TEST(Sampler, TheSameSeedGivesTheSameDraws) {
  SamplingParams p;
  p.temperature = 1.0f;
  p.top_k = 0;
  p.top_p = 1;
  p.min_p = 0;
  p.seed = 42;
  std::vector<float> logits(50);
  for (int i = 0; i < 50; ++i) logits[i] = static_cast<float>(i % 7) * 0.1f;
  Sampler a(p, 50), b(p, 50);
  std::vector<int> da, db;
  for (int i = 0; i < 100; ++i) {
    da.push_back(a.sample(logits.data(), {}));
    db.push_back(b.sample(logits.data(), {}));
  }
  EXPECT_EQ(da, db);
  p.seed = 43;
  Sampler c(p, 50);
  std::vector<int> dc;
  for (int i = 0; i < 100; ++i) dc.push_back(c.sample(logits.data(), {}));
  EXPECT_NE(da, dc);
}

TEST(Sampler, TokenLogprobIsLogSoftmax) {
  const std::vector<float> logits = {1.0f, 2.0f, 3.0f};
  double z = std::exp(1.0) + std::exp(2.0) + std::exp(3.0);
  EXPECT_NEAR(token_logprob(logits.data(), 3, 2), 3.0 - std::log(z), 1e-6);
}

}  // namespace nt
