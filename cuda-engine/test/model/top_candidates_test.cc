// sample/top_candidates.h's CPU reference against a full sort: ties broken by id, -inf last, NaN
// after -inf, k clamped to the vocabulary, and a log-sum-exp that gives token_logprob's numbers.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <random>
#include <vector>

#include "model/tied_logits.h"
#include "sample/sampler.h"
#include "sample/top_candidates.h"

namespace nt {

namespace {

constexpr float kInf = std::numeric_limits<float>::infinity();

// The whole row sorted by (logit descending, id ascending), written without ranks_before.
std::vector<Candidate> sorted_row(const std::vector<float>& logits) {
  std::vector<Candidate> all;
  for (size_t i = 0; i < logits.size(); ++i) all.push_back({static_cast<int32_t>(i), logits[i]});
  std::sort(all.begin(), all.end(), [](const Candidate& a, const Candidate& b) {
    return a.logit != b.logit ? a.logit > b.logit : a.id < b.id;
  });
  return all;
}

void expect_top(const TopCandidates& got, const std::vector<Candidate>& sorted, size_t k) {
  ASSERT_EQ(got.top.size(), k);
  for (size_t i = 0; i < k; ++i) {
    ASSERT_EQ(got.top[i].id, sorted[i].id) << "rank " << i;
    ASSERT_EQ(got.top[i].logit, sorted[i].logit) << "rank " << i;
  }
}

}  // namespace

TEST(TopCandidates, MatchAFullSortWithTiesAndInfinities) {
  std::mt19937 rng(11);
  for (const int32_t n_vocab : {1, 7, 1000, 32003, 128257}) {
    const std::vector<float> logits = test::tied_logits(n_vocab, rng);
    const std::vector<Candidate> sorted = sorted_row(logits);
    for (const int32_t k : {1, 40, 64}) {
      SCOPED_TRACE(testing::Message() << "n_vocab " << n_vocab << ", k " << k);
      expect_top(top_candidates(logits.data(), n_vocab, k), sorted, static_cast<size_t>(std::min(k, n_vocab)));
    }
  }
}

TEST(TopCandidates, LogSumExpGivesTokenLogprobs) {
  std::mt19937 rng(12);
  for (const int32_t n_vocab : {5, 4099, 128256}) {
    const std::vector<float> logits = test::tied_logits(n_vocab, rng);
    const TopCandidates top = top_candidates(logits.data(), n_vocab, 64);
    double sum = 0.0;  // log Σ exp in double, shifted by the max as token_logprob shifts it
    const float max_logit = *std::max_element(logits.begin(), logits.end());
    for (float x : logits) sum += std::exp(static_cast<double>(x) - max_logit);
    EXPECT_NEAR(top.log_sum_exp, max_logit + std::log(sum), 1e-5 * std::max(1.0, std::fabs(max_logit + std::log(sum))));
    for (const Candidate& c : top.top) {
      const float expected = token_logprob(logits.data(), n_vocab, c.id);
      if (std::isinf(expected)) {
        ASSERT_EQ(c.logit - top.log_sum_exp, expected) << c.id;
      } else {
        ASSERT_NEAR(c.logit - top.log_sum_exp, expected, 1e-5) << c.id;
      }
    }
  }
}

TEST(TopCandidates, AllMinusInfinityHasALogSumExpOfMinusInfinity) {
  const std::vector<float> logits(10, -kInf);
  const TopCandidates top = top_candidates(logits.data(), 10, 3);
  EXPECT_EQ(top.log_sum_exp, -kInf);
  ASSERT_EQ(top.top.size(), 3u);
  EXPECT_EQ(top.top[0].id, 0);
  EXPECT_EQ(top.top[2].id, 2);
}

TEST(TopCandidates, NanRanksAfterMinusInfinityAndZerosTieById) {
  const float nan = std::numeric_limits<float>::quiet_NaN();
  const std::vector<float> logits = {nan, 1.0f, nan, -kInf, 0.0f, -0.0f};
  const TopCandidates top = top_candidates(logits.data(), 6, 6);
  std::vector<int32_t> ids;
  for (const Candidate& c : top.top) ids.push_back(c.id);
  EXPECT_EQ(ids, (std::vector<int32_t>{1, 4, 5, 3, 0, 2}));
  EXPECT_TRUE(std::isnan(top.log_sum_exp));
}

}  // namespace nt
