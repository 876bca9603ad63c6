// The KV cache types on the CPU (backend/kv_type.h): F16 and Q8_0 caches against the F32 cache on
// the TinyStories checkpoint, at short and long (past 4k) context. The oracle tests
// (test/engineVsLlamaCpp.test.ts) compare each type with llama.cpp's own cache of that type.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>

#include "core/engine_error.h"
#include "model/model.h"
#include "model/stories_model.h"
#include "test_data.h"

namespace nt {

namespace {

std::unique_ptr<Model> load(const std::string& kv_type, int32_t n_ctx) {
  ModelOptions options;
  options.backend = "cpu";
  options.threads = 2;
  options.n_ctx = n_ctx;
  options.kv_type = kv_type;
  return Model::load(test::stories_path(), options, nullptr);
}

std::vector<TokenId> tokens(int32_t n) {
  std::vector<TokenId> ids(static_cast<size_t>(n));
  for (int32_t i = 0; i < n; ++i) ids[static_cast<size_t>(i)] = i == 0 ? 1 : (i * 7919 + 13) % 512;
  return ids;
}

// The largest |a − b| over the last `rows` rows of n_vocab logits each.
double last_rows_difference(const std::vector<float>& a, const std::vector<float>& b, size_t rows) {
  double worst = 0;
  for (size_t i = a.size() - rows * 512; i < a.size(); ++i) worst = std::max(worst, double{std::fabs(a[i] - b[i])});
  return worst;
}

TEST(KvType, RefusesAnUnknownTypeAndQ8_0ForHeadsNotAMultipleOf32) {
  REQUIRE_TEST_DATA();
  try {
    load("q4_0", 64);
    FAIL() << "accepted";
  } catch (const EngineError& e) {
    EXPECT_EQ(e.code(), "NT_E_BAD_REQUEST");
    EXPECT_NE(std::string(e.what()).find("f32, f16 or q8_0"), std::string::npos) << e.what();
  }
  try {
    load("q8_0", 64);  // stories260K's heads have 8 values
    FAIL() << "accepted";
  } catch (const EngineError& e) {
    EXPECT_EQ(e.code(), "NT_E_UNSUPPORTED");
    EXPECT_NE(std::string(e.what()).find("have 8"), std::string::npos) << e.what();
  }
}

TEST(KvType, TheDefaultIsF16AsLlamaCpps) {
  REQUIRE_TEST_DATA();
  auto m = Model::load(test::stories_path(), test::cpu_options(-1, -1), nullptr);  // the type left to its default
  EXPECT_EQ(m->kv_pool().type(), GgmlType::F16);
}

TEST(KvType, F16HalvesThePoolAndStaysNearF32) {
  REQUIRE_TEST_DATA();
  auto f32 = load("f32", 256);
  auto f16 = load("f16", 256);
  EXPECT_EQ(f16->kv_pool().bytes() * 2, f32->kv_pool().bytes());
  EXPECT_EQ(f16->plan().kv_bytes * 2, f32->plan().kv_bytes);
  const std::vector<TokenId> ids = tokens(200);
  const std::vector<float> a = f32->evaluate(ids, 64), b = f16->evaluate(ids, 64);
  const double difference = last_rows_difference(a, b, ids.size());
  std::printf("  f16 against f32, 200 positions: max |Δ logit| %.3g\n", difference);
  // F16 keeps 11 significant bits of each key and value (relative error ≤ 2^-12) and rounds the
  // running output at every step: logits of order 10 move by ~1e-2 at most, never by order 1.
  EXPECT_GT(difference, 0.0) << "the F16 cache changed nothing: is it used?";
  EXPECT_LT(difference, 0.1);
}

TEST(KvType, LongContextsPast4kStayNearF32) {
  REQUIRE_TEST_DATA();
  constexpr int32_t kPositions = 4128;
  auto f32 = load("f32", kPositions);
  auto f16 = load("f16", kPositions);
  const std::vector<TokenId> ids = tokens(kPositions);
  const std::vector<float> a = f32->evaluate(ids, 512), b = f16->evaluate(ids, 512);
  for (size_t i = 0; i < a.size(); ++i) ASSERT_TRUE(std::isfinite(b[i])) << "logit " << i;
  // The positions past 4096: each attends over more than 4096 F16 keys and values. As ggml's CPU
  // flash attention, the F16 cache also sums the weighted values in F16: once the running sum
  // holds thousands of terms its F16 step (2 at 2048..4096) is as large as a term, so rounding
  // loses part of each new one; 0.3 was measured at 4400 positions, against 0.02 at 200.
  const double difference = last_rows_difference(a, b, kPositions - 4096);
  std::printf("  f16 against f32 at positions 4096..%d: max |Δ logit| %.3g\n", kPositions - 1, difference);
  EXPECT_LT(difference, 0.6);
}

}  // namespace
}  // namespace nt
