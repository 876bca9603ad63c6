// The dual path's execution (model/dual_pass.h) on the CPU-only build: the "device" layers run on
// the CPU backend through the same segment scheduling as on a GPU, so every split is forced here
// and must give the plain run's logits exactly — both sides compute the same products on the same
// bytes, and only the residual stream crosses between them.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>

#include "backend/device_report.h"
#include "core/engine_error.h"
#include "model/dual_pass.h"
#include "model/model.h"
#include "model/plan_input.h"
#include "model/stories_model.h"
#include "test_data.h"

namespace nt {

namespace {

using test::stories_path;

std::unique_ptr<Model> load(const std::string& pattern, int64_t vram = -1, int64_t pinned = -1, int32_t split_tokens = 0,
                            const std::string& kv_type = "f32") {
  ModelOptions o = test::cpu_options(vram, pinned);
  o.dual_pattern = pattern;
  o.dual_split_tokens = split_tokens;
  o.kv_type = kv_type;
  return Model::load(stories_path(), o, nullptr);
}

void expect_same(const std::vector<float>& a, const std::vector<float>& b, const std::string& what) {
  ASSERT_EQ(a.size(), b.size()) << what;
  for (size_t i = 0; i < a.size(); ++i) ASSERT_EQ(a[i], b[i]) << what << ": logit " << i;
}

class DualPassModel : public ::testing::Test {
 protected:
  void SetUp() override {
    REQUIRE_TEST_DATA();
    plain_ = load("");
    ASSERT_EQ(plain_->hparams().n_layer, 5);
    tokens_ = plain_->tokenizer().encode("Once upon a time, there was a little girl named Lily.", true, false);
    prefill_ = plain_->evaluate(tokens_, 7);
    decode_ = plain_->evaluate(tokens_, 1);
  }
  std::unique_ptr<Model> plain_;
  std::vector<TokenId> tokens_;
  std::vector<float> prefill_, decode_;
};

}  // namespace

TEST(DualSegments, RunsOfLettersThenTheHeadOnTheDevice) {
  const auto s = dual_segments("GGCGC");
  ASSERT_EQ(s.size(), 5u);
  EXPECT_FALSE(s[0].first);
  EXPECT_EQ(s[0].second.first, 0);
  EXPECT_EQ(s[0].second.last, 2);
  EXPECT_TRUE(s[1].first);
  EXPECT_EQ(s[1].second.first, 2);
  EXPECT_EQ(s[1].second.last, 3);
  EXPECT_TRUE(s[3].first);
  EXPECT_FALSE(s[3].second.head);
  EXPECT_FALSE(s[4].first);
  EXPECT_EQ(s[4].second.first, 5);
  EXPECT_EQ(s[4].second.last, 5);
  EXPECT_TRUE(s[4].second.head);
  const auto g = dual_segments("GGG");
  ASSERT_EQ(g.size(), 1u);
  EXPECT_TRUE(g[0].second.head);
  EXPECT_EQ(g[0].second.last, 3);
}

TEST_F(DualPassModel, EverySplitGivesThePlainLogits) {
  for (const std::string pattern : {"GGGGG", "CCCCC", "GCGCG", "CGCGC", "CGGGG", "GGGGC", "CCGGC"}) {
    auto m = load(pattern);
    EXPECT_EQ(m->plan().layer_pattern, pattern);
    EXPECT_EQ(m->plan().totals.d > 0, pattern.find('C') != std::string::npos) << pattern;
    expect_same(m->evaluate(tokens_, 7), prefill_, pattern + " prefill");
    expect_same(m->evaluate(tokens_, 1), decode_, pattern + " decode");
  }
}

// The device layers streamed (tier B through the ring): tier-D blocks are in no stream group, so
// the ring's cycle must skip them and still hand every G block its own bytes.
TEST_F(DualPassModel, SplitsWithStreamedDeviceLayersGiveThePlainLogits) {
  const TierPlan& p = plain_->plan();
  uint64_t layer = 0;
  for (const PlanRow& r : p.rows) {
    if (r.layer >= 0) layer = std::max(layer, r.bytes.a + r.bytes.b + r.bytes.c);
  }
  const uint64_t mandatory = p.kv_bytes + p.activation_bytes + 3 * kSlotSlackBytes;
  for (const std::string pattern : {"GCGCG", "CGCGC", "CCCCG"}) {
    auto m = load(pattern, static_cast<int64_t>(mandatory + 3 * layer), 256ll << 20);
    ASSERT_GT(m->plan().streamed_bytes, 0u) << pattern;
    expect_same(m->evaluate(tokens_, 7), prefill_, pattern + " streamed prefill");
    expect_same(m->evaluate(tokens_, 1), decode_, pattern + " streamed decode");
    EXPECT_GT(m->stream_stats().bytes_copied, 0u);
  }
}

// Two sequences of different lengths in one pass, top candidates only: the same rows as plain.
TEST_F(DualPassModel, BatchedSequencesAndTopCandidatesMatchThePlainRun) {
  auto dual = load("CGCGC");
  auto run = [&](Model& m) {
    auto a = m.new_cache(), b = m.new_cache();
    Batch batch;
    for (int32_t i = 0; i < 6; ++i) batch.push_back({a.get(), tokens_[static_cast<size_t>(i)], i, i == 5});
    for (int32_t i = 0; i < 3; ++i) batch.push_back({b.get(), tokens_[static_cast<size_t>(i) + 2], i, i == 2});
    PassOutput out;
    m.forward(batch, 8, out);
    Batch next{{a.get(), tokens_[6], 6, true}, {b.get(), tokens_[7], 3, true}};
    PassOutput out2;
    m.forward(next, 8, out2);
    out.rows.insert(out.rows.end(), out2.rows.begin(), out2.rows.end());
    return out.rows;
  };
  const auto want = run(*plain_), got = run(*dual);
  ASSERT_EQ(got.size(), 4u);
  ASSERT_EQ(want.size(), 4u);
  for (size_t r = 0; r < want.size(); ++r) {
    EXPECT_EQ(got[r].log_sum_exp, want[r].log_sum_exp) << r;
    ASSERT_EQ(got[r].top.size(), want[r].top.size());
    for (size_t k = 0; k < want[r].top.size(); ++k) {
      EXPECT_EQ(got[r].top[k].id, want[r].top[k].id) << r << "/" << k;
      EXPECT_EQ(got[r].top[k].logit, want[r].top[k].logit) << r << "/" << k;
    }
  }
}

// Each layer's keys and values are written where the backend computing it reads them: the CPU's
// layers into the cache's host part, the device's into the cache itself (on this CPU-only build
// both are host memory, so only this check, not the logits, would see them swapped). The host
// part holds the CPU's layers only.
TEST_F(DualPassModel, EachLayersKeysAndValuesLiveWithTheBackendThatComputesIt) {
  auto m = load("GCGCG");
  auto cache = m->new_cache();
  ASSERT_NE(cache->cpu_part(), nullptr);
  PassOutput out;
  m->forward(Batch{{cache.get(), tokens_[0], 0, true}}, 1, out);
  const auto written = [&](KvCache& c, int32_t layer) {
    const int64_t n = c.pool().n_embd_kv();
    const auto* k = reinterpret_cast<const float*>(c.k(layer, 0));  // an F32 pool
    const auto* v = reinterpret_cast<const float*>(c.v(layer, 0));
    return std::any_of(k, k + n, [](float x) { return x != 0; }) && std::any_of(v, v + n, [](float x) { return x != 0; });
  };
  for (int32_t layer = 0; layer < 5; ++layer) {
    const bool cpu = layer % 2 == 1;
    if (cpu) EXPECT_TRUE(written(*cache->cpu_part(), layer)) << layer;
    EXPECT_EQ(written(*cache, layer), !cpu) << layer;
  }
  EXPECT_EQ(cache->cpu_part()->pool().n_layer(), 2);
  EXPECT_EQ(load("")->new_cache()->cpu_part(), nullptr);  // no dual path: no host part
}

// The KV type applies to both pools: the CPU's layers store and attend in the cache's type too,
// so a split gives exactly the logits of the plain run with that type (not of an F32 host part).
TEST_F(DualPassModel, TheHostPoolHasTheCachesKvType) {
  auto plain = load("", -1, -1, 0, "f16");
  auto dual = load("GCGCG", -1, -1, 0, "f16");
  auto cache = dual->new_cache();
  ASSERT_NE(cache->cpu_part(), nullptr);
  EXPECT_EQ(cache->pool().type(), GgmlType::F16);
  EXPECT_EQ(cache->cpu_part()->pool().type(), GgmlType::F16);
  const std::vector<float> want = plain->evaluate(tokens_, 7);
  expect_same(dual->evaluate(tokens_, 7), want, "f16 prefill");
  EXPECT_NE(want, prefill_) << "the F16 cache changed nothing: is it used?";
}

// Issue 13: the host part is sized for the tier-D layers and counted in the pinned budget.
TEST_F(DualPassModel, TheHostKeysAndValuesHoldTheCpuLayersOnlyAndCountInThePinnedBudget) {
  auto m = load("CGGCC");
  auto cache = m->new_cache();
  const KvPool& host = cache->cpu_part()->pool();
  EXPECT_EQ(host.n_layer(), 3);
  EXPECT_EQ(host.n_blocks(), m->kv_pool().n_blocks());
  EXPECT_EQ(host.bytes(), m->kv_pool().bytes() / 5 * 3);
  EXPECT_EQ(m->plan().host_kv_bytes, host.bytes());
  EXPECT_EQ(m->plan().pinned_used, m->plan().totals.b + m->plan().totals.d +
                                       3 * m->plan().pinned_slot_bytes + host.bytes());
  // A pinned budget with room for the weights but not the host keys and values is refused.
  const int64_t tight = static_cast<int64_t>(m->plan().pinned_used - host.bytes() / 2 + 3 * kSlotSlackBytes);
  try {
    load("CGGCC", -1, tight);
    FAIL() << "accepted";
  } catch (const EngineError& e) {
    EXPECT_EQ(e.code(), "NT_E_OUT_OF_MEMORY");
    EXPECT_NE(std::string(e.what()).find("of host keys and values"), std::string::npos) << e.what();
  }
}

// Per pass (issue 13): a prompt streams every block to the device, decode takes the split, and a
// prompt after decode streams again. Each switch copies the rows the other side wrote, so the
// logits stay exactly the plain run's.
TEST_F(DualPassModel, PromptsStreamDecodeSplitsAndTheLogitsStayThePlainOnes) {
  auto run = [&](Model& m) {
    auto cache = m.new_cache();
    std::vector<float> all, logits;
    auto pass = [&](size_t first, size_t n) {
      Batch batch;
      for (size_t i = first; i < first + n; ++i) batch.push_back({cache.get(), tokens_[i], static_cast<int32_t>(i), true});
      m.forward(batch, logits);
      all.insert(all.end(), logits.begin(), logits.end());
    };
    pass(0, 5);   // prompt: streamed
    pass(5, 1);   // decode: split, after the prompt's rows were copied to the host
    pass(6, 1);
    pass(7, 4);   // a prompt again: the decode's rows copied back to the device
    pass(11, 1);  // and decode after it
    return all;
  };
  const std::vector<float> want = run(*plain_);
  for (const std::string pattern : {"GCGCG", "CCGGC", "CGCGC", "CCCCC"}) {
    auto m = load(pattern, -1, -1, 1);
    expect_same(run(*m), want, pattern);
    const StreamStats stats = m->stream_stats();
    EXPECT_EQ(stats.passes, 5u) << pattern;
    EXPECT_EQ(stats.split_passes, 3u) << pattern;
    // Only the two prompts copied the tier-D blocks (everything else is resident here).
    EXPECT_EQ(stats.bytes_copied, 2 * m->plan().totals.d) << pattern;
  }
}

TEST_F(DualPassModel, EvaluateGivesThePlainLogitsWhicheverLayoutEachPassTakes) {
  for (int32_t split_tokens : {1, 6, 100}) {
    auto m = load("CGCGC", -1, -1, split_tokens);
    expect_same(m->evaluate(tokens_, 7), prefill_, std::to_string(split_tokens) + " prefill");
    expect_same(m->evaluate(tokens_, 1), decode_, std::to_string(split_tokens) + " decode");
  }
}

// The same switches on a GPU (skipped without one): the device's layers and the streaming passes
// run on CUDA, so the rows copied between the device's cache and the host part cross PCIe. The
// CPU and the GPU sum their products in different orders: near, not equal, to the plain CUDA run;
// a row copied wrong or not at all would move the logits by far more.
TEST_F(DualPassModel, OnAGpuPromptsStreamDecodeSplitsAndTheLogitsStayNearThePlainOnes) {
  if (!query_devices().cuda.available) GTEST_SKIP() << "no CUDA device: " << query_devices().cuda.reason;
  ModelOptions o = test::cpu_options(-1, -1);
  o.backend = "cuda";
  auto plain = Model::load(stories_path(), o, nullptr);
  const std::vector<float> want_prefill = plain->evaluate(tokens_, 7), want_decode = plain->evaluate(tokens_, 1);
  const auto near = [](const std::vector<float>& got, const std::vector<float>& want, const std::string& what) {
    ASSERT_EQ(got.size(), want.size()) << what;
    for (size_t i = 0; i < got.size(); ++i) ASSERT_NEAR(got[i], want[i], 1e-2 * (1 + std::abs(want[i]))) << what << " " << i;
  };
  const TierPlan& p = plain->plan();
  uint64_t layer = 0;
  for (const PlanRow& r : p.rows) {
    if (r.layer >= 0) layer = std::max(layer, r.bytes.a + r.bytes.b + r.bytes.c);
  }
  const auto streamed = static_cast<int64_t>(p.kv_bytes + p.activation_bytes + 3 * kSlotSlackBytes + 3 * layer);
  for (const std::string pattern : {"GCGCG", "CCGGC"}) {
    for (int64_t vram : {int64_t{-1}, streamed}) {
      o.dual_pattern = pattern;
      o.dual_split_tokens = 1;
      o.vram_budget = vram;
      auto m = Model::load(stories_path(), o, nullptr);
      const std::string what = pattern + (vram < 0 ? "" : " streamed");
      near(m->evaluate(tokens_, 7), want_prefill, what + " prefill");  // streaming passes, a 1-token split at the end
      near(m->evaluate(tokens_, 1), want_decode, what + " decode");    // split passes
      EXPECT_GT(m->stream_stats().split_passes, 0u) << what;
      EXPECT_LT(m->stream_stats().split_passes, m->stream_stats().passes) << what;
    }
  }
}

TEST_F(DualPassModel, ThePrintedPlanShowsTierD) {
  auto m = load("GCGCG");
  const std::string text = m->plan_text();
  EXPECT_NE(text.find("dual path off: layers GCGCG"), std::string::npos) << text;
  EXPECT_NE(text.find("tier D "), std::string::npos) << text;
  EXPECT_NE(text.find("per pass: every pass takes the split"), std::string::npos) << text;
  const std::string per_pass = load("GCGCG", -1, -1, 4)->plan_text();
  EXPECT_NE(per_pass.find("the split up to 4 tokens per pass (forced)"), std::string::npos) << per_pass;
}

TEST_F(DualPassModel, AMalformedPatternIsABadRequest) {
  for (const std::string pattern : {"GCG", "GCGCGG", "GXGCG"}) {
    try {
      load(pattern);
      ADD_FAILURE() << pattern << " was accepted";
    } catch (const EngineError& e) {
      EXPECT_EQ(e.code(), "NT_E_BAD_REQUEST") << e.what();
    }
  }
}

}  // namespace nt
