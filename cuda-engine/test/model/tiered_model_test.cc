// The three-tier placement on the CPU backend (DESIGN §4: "device memory" is a budgeted host
// region, H2D a memcpy, tier C read from the file with O_DIRECT every pass). Where a tensor lives
// must not change a single logit: the CPU computes the same products on the same bytes, so the
// streamed runs are compared with the resident run for exact equality.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "backend/device_report.h"
#include "core/engine_error.h"
#include "model/model.h"
#include "model/plan_input.h"
#include "model/stories_model.h"
#include "test_data.h"

namespace nt {

namespace {

using test::stories_path;

std::unique_ptr<Model> load(const std::string& path, int64_t vram, int64_t pinned, int32_t slots = 3) {
  return Model::load(path, test::cpu_options(vram, pinned, slots), nullptr);
}

struct Sizes {
  uint64_t mandatory = 0;  // KV cache + activations + ring slack
  uint64_t layer = 0;      // the largest block
  uint64_t host_only = 0;
};

// What the budgets must cover before any weight, read off an unconstrained plan.
Sizes sizes_of(const Model& m, int32_t slots) {
  const TierPlan& p = m.plan();
  Sizes s;
  s.mandatory = p.kv_bytes + p.activation_bytes + kSlotSlackBytes * slots;
  for (const PlanRow& r : p.rows) {
    if (r.layer >= 0) s.layer = std::max(s.layer, r.bytes.a + r.bytes.b + r.bytes.c);
  }
  s.host_only = p.host_only_bytes;
  return s;
}

std::vector<TokenId> prompt(const Model& m) {
  return m.tokenizer().encode("Once upon a time, there was a little girl named Lily. She loved to play outside.", true,
                              false);
}

void expect_same_logits(const std::vector<float>& a, const std::vector<float>& b) {
  ASSERT_EQ(a.size(), b.size());
  for (size_t i = 0; i < a.size(); ++i) ASSERT_EQ(a[i], b[i]) << "logit " << i;
}

class TieredModel : public ::testing::Test {
 protected:
  void SetUp() override {
    REQUIRE_TEST_DATA();
    resident_ = load(stories_path(), -1, -1);
    tokens_ = prompt(*resident_);
    expected_ = resident_->evaluate(tokens_, 7);
  }
  std::unique_ptr<Model> resident_;
  std::vector<TokenId> tokens_;
  std::vector<float> expected_;
};

}  // namespace

TEST_F(TieredModel, UnconstrainedBudgetsKeepEverythingResident) {
  const TierPlan& p = resident_->plan();
  EXPECT_EQ(p.totals.c, 0u);
  EXPECT_EQ(p.streamed_bytes, 0u);
  EXPECT_EQ(std::string(resident_->backend_name()), "cpu");
  EXPECT_GT(resident_->stream_stats().passes, 0u);
}

TEST_F(TieredModel, AllThreeTiersGiveTheResidentLogits) {
  const Sizes s = sizes_of(*resident_, 3);
  // "VRAM" holds the slots and the output head (with the norms), pinned RAM the staging ring and
  // one block: the other blocks must come from the file every pass.
  auto m = load(stories_path(), s.mandatory + 3 * s.layer + (200ull << 10), s.host_only + (3ull << 20) + 4 * s.layer);
  const TierPlan& p = m->plan();
  EXPECT_GT(p.totals.a, 0u);
  EXPECT_GT(p.totals.b, s.host_only);
  EXPECT_GT(p.totals.c, 0u);
  EXPECT_TRUE(m->direct_io());
  expect_same_logits(m->evaluate(tokens_, 7), expected_);
  const StreamStats st = m->stream_stats();
  EXPECT_GT(st.passes, 0u);
  EXPECT_GT(st.bytes_read, 0u);
  EXPECT_GT(st.bytes_copied, 0u);
  EXPECT_NE(m->plan_text().find("O_DIRECT"), std::string::npos) << m->plan_text();
}

TEST_F(TieredModel, EverythingFromStorageGivesTheResidentLogits) {
  const Sizes s = sizes_of(*resident_, 5);
  auto m = load(stories_path(), s.mandatory + 5 * s.layer, s.host_only + (5ull << 20) + 5 * s.layer, 5);
  EXPECT_EQ(m->plan().totals.b, m->plan().host_only_bytes);
  EXPECT_GT(m->plan().totals.c, 0u);
  expect_same_logits(m->evaluate(tokens_, 7), expected_);
  expect_same_logits(m->evaluate(tokens_, 1), resident_->evaluate(tokens_, 1));
}

TEST_F(TieredModel, EverythingFromPinnedMemoryGivesTheResidentLogits) {
  const Sizes s = sizes_of(*resident_, 3);
  auto m = load(stories_path(), s.mandatory + 3 * s.layer, 256ull << 20);
  EXPECT_EQ(m->plan().totals.c, 0u);
  EXPECT_GT(m->plan().streamed_bytes, 0u);
  expect_same_logits(m->evaluate(tokens_, 7), expected_);
}

TEST_F(TieredModel, BudgetsTooSmallForTheKvCacheAreRefused) {
  try {
    load(stories_path(), 1024, 256ull << 20);
    FAIL() << "a 1 KiB budget was accepted";
  } catch (const EngineError& e) {
    EXPECT_EQ(e.code(), "NT_E_OUT_OF_MEMORY");
    EXPECT_NE(std::string(e.what()).find("KV cache"), std::string::npos) << e.what();
  }
}

// The refusal says what the KV cache holds in the user's terms: the sequences served times their
// context (or a kvSize pool's positions) and the cache's type, not only its bytes.
TEST_F(TieredModel, AKvCacheRefusalNamesItsSequencesPositionsAndType) {
  const auto refusal = [](const ModelOptions& o) {
    try {
      Model::load(stories_path(), o, nullptr);
    } catch (const EngineError& e) {
      return std::string(e.what());
    }
    return std::string("accepted");
  };
  ModelOptions o = test::cpu_options(1024, 256ll << 20);
  o.n_sequences = 4;
  o.kv_type = "f16";
  EXPECT_NE(refusal(o).find("the KV cache ("), std::string::npos);
  EXPECT_NE(refusal(o).find(" for 4 sequences × 128 positions, f16)"), std::string::npos) << refusal(o);
  o.kv_size = 300;
  EXPECT_NE(refusal(o).find(" for 300 positions, f16)"), std::string::npos) << refusal(o);
}

// A read error in the middle of streaming fails the pass with NT_E_IO, and the model stays failed
// (its streamer's cycle was abandoned midway) instead of computing on stale bytes.
TEST_F(TieredModel, AnIoErrorFailsThePassAndTheModel) {
  const std::string copy = testing::TempDir() + "/tiered-stories.gguf";
  std::filesystem::copy_file(stories_path(), copy, std::filesystem::copy_options::overwrite_existing);
  const Sizes s = sizes_of(*resident_, 3);
  auto m = load(copy, s.mandatory + 5 * s.layer, s.host_only + (3ull << 20) + 3 * s.layer);
  ASSERT_GT(m->plan().totals.c, 0u);
  std::filesystem::resize_file(copy, m->gguf().data_offset + 4096);
  auto code_of_evaluate = [&] {
    try {
      m->evaluate(tokens_, 7);
    } catch (const EngineError& e) {
      return e.code();
    }
    return std::string("none");
  };
  EXPECT_EQ(code_of_evaluate(), "NT_E_IO");
  EXPECT_EQ(code_of_evaluate(), "NT_E_IO");
  std::filesystem::remove(copy);
}

TEST(TieredModelOptions, RefusesAnUnknownBackendAndTooFewSlots) {
  REQUIRE_TEST_DATA();
  auto code_of = [](ModelOptions o) {
    try {
      Model::load(stories_path(), o, nullptr);
    } catch (const EngineError& e) {
      return e.code();
    }
    return std::string("none");
  };
  ModelOptions bad_backend;
  bad_backend.backend = "tpu";
  EXPECT_EQ(code_of(bad_backend), "NT_E_BAD_REQUEST");
  ModelOptions two_slots;
  two_slots.backend = "cpu";
  two_slots.staging_slots = 2;
  EXPECT_EQ(code_of(two_slots), "NT_E_BAD_REQUEST");
  const CudaStatus cuda = query_devices().cuda;
  if (!cuda.available) {
    ModelOptions insist;
    insist.backend = "cuda";
    EXPECT_EQ(code_of(insist), "NT_E_NO_DEVICE") << cuda.reason;
  }
}

}  // namespace nt
