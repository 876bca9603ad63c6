#include <gtest/gtest.h>

#include <cmath>
#include <vector>

#include "sample/sampler.h"

namespace nt {

namespace {

SamplingParams greedy() {
  SamplingParams p;
  p.temperature = 0;
  return p;
}

}  // namespace

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
