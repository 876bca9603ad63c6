// nt-bench's tests at depth (-d) on the CPU backend with the TinyStories checkpoint: the untimed
// fill leaves the cache as a prompt of those tokens would, the tests after it are named and
// counted at their depth, and a test's bound adds the keys and values its passes read.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "bench_args.h"
#include "bench_model.h"
#include "link_bound.h"
#include "model/model.h"
#include "model/stories_model.h"
#include "run_tests.h"
#include "test_data.h"

namespace nt::bench {
namespace {

TEST(BenchDepth, TheFillLeavesTheCacheAsAPromptOfItsTokens) {
  REQUIRE_TEST_DATA();
  ModelOptions o = test::cpu_options(-1, -1);
  auto model = Model::load(test::stories_path(), o, nullptr);
  const int32_t depth = 40, n_vocab = model->n_vocab();
  auto cache = cache_at_depth(*model, depth, 16);  // passes of 16, 16 and 8 tokens
  const TokenId next = 7;
  std::vector<float> logits;
  model->forward({{cache.get(), next, depth, true}}, logits);

  std::vector<TokenId> ids = depth_tokens(depth, n_vocab);
  ASSERT_EQ(ids.size(), static_cast<size_t>(depth));
  ids.push_back(next);
  const std::vector<float> expected = model->evaluate(ids, 16);
  ASSERT_EQ(logits.size(), static_cast<size_t>(n_vocab));
  for (int32_t v = 0; v < n_vocab; ++v) {
    ASSERT_NEAR(logits[v], expected[static_cast<size_t>(depth) * n_vocab + v], 1e-4) << "logit " << v;
  }
}

BenchArgs args_of(std::vector<std::string> words) {
  words.insert(words.begin(), "nt-bench");
  std::vector<char*> argv;
  for (std::string& w : words) argv.push_back(w.data());
  return parse_bench_args(static_cast<int>(argv.size()), argv.data());
}

TEST(BenchDepth, RunsPpAndTgAtEachDepth) {
  REQUIRE_TEST_DATA();
  const BenchArgs args = args_of({"--backend", "cpu", "-t", "2", "-p", "8", "-n", "4", "-d", "0,40", "-r", "1"});
  const ModelResult r = bench_model(test::stories_path(), args);
  ASSERT_EQ(r.tests.size(), 4u);
  const std::vector<std::string> names = {"pp8", "tg4", "pp8@d40", "tg4@d40"};
  const std::vector<int32_t> depths = {0, 0, 40, 40};
  // pp8: one pass reading its 8 positions; tg4: token i reads depth + i + 1 positions.
  const std::vector<double> positions = {8, 2.5, 48, 42.5};
  for (size_t i = 0; i < names.size(); ++i) {
    const TestResult& t = r.tests[i];
    EXPECT_EQ(t.name, names[i]);
    EXPECT_EQ(t.depth, depths[i]);
    EXPECT_DOUBLE_EQ(t.kv_positions_per_pass, positions[i]) << t.name;
    ASSERT_EQ(t.tok_s.size(), 1u);
    EXPECT_GT(t.mean, 0) << t.name;
  }
  // stories260K: 5 layers, 4 KV heads of 8 values, F16 rows of 64 bytes, K and V.
  EXPECT_EQ(r.kv_bytes_per_position, 2u * 5u * 64u);
  EXPECT_EQ(r.n_batch, 8);
  // Each test's bound: the pass's VRAM time plus its K/V reads at the VRAM rate.
  ASSERT_GT(r.decode_bound_tok_s, 0);
  ASSERT_GT(r.links.speeds.vram_gbps, 0);
  for (const TestResult& t : r.tests) {
    PassTime pass = r.pass;
    pass.vram_ms += t.kv_positions_per_pass * static_cast<double>(r.kv_bytes_per_position) /
                    (r.links.speeds.vram_gbps * 1e6);
    EXPECT_DOUBLE_EQ(t.bound_tok_s, 1000.0 / pass.ms() * t.tokens / t.passes_per_rep) << t.name;
  }
  EXPECT_LT(r.tests[3].bound_tok_s, r.tests[1].bound_tok_s);  // tg4@d40 reads 40 more positions a token
}

// The bound's K/V term: 8k positions of the 8B shape's F16 cache (32 layers, 8 KV heads of 128
// values: 128 KiB a position) at 3000 GB/s take 0.358 ms.
TEST(BenchDepth, TheBoundAddsTheCachedKeysAndValuesAtTheVramRate) {
  const uint64_t per_position = 2ull * 32 * 8 * 128 * 2;
  EXPECT_NEAR(kv_read_ms(8192, per_position, 3000), 8192.0 * per_position / 3000e9 * 1e3, 1e-12);
  EXPECT_NEAR(kv_read_ms(8192, per_position, 3000), 0.358, 0.001);
  EXPECT_EQ(kv_read_ms(8192, per_position, 0), 0);  // no VRAM figure: no term
  EXPECT_EQ(kv_read_ms(0, per_position, 3000), 0);
}

}  // namespace
}  // namespace nt::bench
