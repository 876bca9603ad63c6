// The CPU model on the real TinyStories checkpoint: batching must not change a single logit, and
// the generation loop must give every sequence the tokens it would get alone.
#include <gtest/gtest.h>

#include <cstdlib>
#include <chrono>
#include <future>
#include <thread>

#include "engine/generation_loop.h"
#include "core/engine_error.h"
#include "gguf_test_writer.h"
#include "model/run_generation.h"
#include "model/stories_model.h"
#include "test_data.h"
#include "model/model.h"
#include "model/read_hparams.h"
#include "model/weights.h"

namespace nt {

namespace {

using test::greedy;
using test::Outcome;
using test::run;
using test::stories_path;

std::unique_ptr<Model> load_stories(int threads = 2, const std::string& kv_type = "") {
  ModelOptions options;
  options.threads = threads;
  if (!kv_type.empty()) options.kv_type = kv_type;
  options.n_ctx = 256;
  return Model::load(stories_path(), options, nullptr);
}

}  // namespace

TEST(Model, ReadsTheTinyStoriesHyperParameters) {
  REQUIRE_TEST_DATA();
  auto m = load_stories();
  const Hparams& h = m->hparams();
  EXPECT_EQ(h.arch, "llama");
  EXPECT_EQ(h.n_layer, 5);
  EXPECT_EQ(h.n_embd, 64);
  EXPECT_EQ(h.n_head, 8);
  EXPECT_EQ(h.n_head_kv, 4);
  EXPECT_EQ(h.head_dim, 8);
  EXPECT_EQ(h.n_ff, 172);
  EXPECT_EQ(m->n_vocab(), 512);
  EXPECT_FALSE(m->weights().tied_output);
}

// In an F32 cache. With F16 keys and values a GPU pass rounds at F16 precision in steps whose order
// follows the batch (the positions' chunks, the kernels chosen), so there the logits moved by
// 3.9e-4 on one of -14.4 (H100); the KV-type tests bound F16 against F32 instead.
TEST(Model, BatchSizeDoesNotChangeTheLogits) {
  REQUIRE_TEST_DATA();
  auto m = load_stories(2, "f32");
  const std::vector<TokenId> tokens = m->tokenizer().encode("Once upon a time, there was a little girl named Lily.", true, false);
  const std::vector<float> one_by_one = m->evaluate(tokens, 1);
  const std::vector<float> in_sevens = m->evaluate(tokens, 7);
  const std::vector<float> all_at_once = m->evaluate(tokens, 512);
  ASSERT_EQ(one_by_one.size(), tokens.size() * 512);
  for (size_t i = 0; i < one_by_one.size(); ++i) {
    ASSERT_NEAR(one_by_one[i], in_sevens[i], 1e-4) << i;
    ASSERT_NEAR(one_by_one[i], all_at_once[i], 1e-4) << i;
  }
}

TEST(Model, GreedyGenerationContinuesTheStory) {
  REQUIRE_TEST_DATA();
  auto m = load_stories();
  GenerationLoop loop(*m, {});
  const Outcome out = run(loop, greedy(*m, "Once upon a time", 32)).get();
  EXPECT_EQ(out.done.reason, "length");
  EXPECT_EQ(out.tokens.size(), 32u);
  EXPECT_EQ(out.done.timings.predicted_n, 32);
  EXPECT_GT(out.text.size(), 50u) << out.text;
}

TEST(Model, SequencesSharingPassesGetTheTokensTheyWouldGetAlone) {
  REQUIRE_TEST_DATA();
  auto m = load_stories();
  GenerationLoop loop(*m, {});
  const Outcome alone_a = run(loop, greedy(*m, "Once upon a time", 24)).get();
  const Outcome alone_b = run(loop, greedy(*m, "The dog ran to the park and", 24)).get();
  auto a = run(loop, greedy(*m, "Once upon a time", 24));
  auto b = run(loop, greedy(*m, "The dog ran to the park and", 24));
  EXPECT_EQ(a.get().tokens, alone_a.tokens);
  EXPECT_EQ(b.get().tokens, alone_b.tokens);
}

TEST(Model, SamplingFromTopCandidatesGivesTheTokensAndLogprobsOfAllLogits) {
  REQUIRE_TEST_DATA();
  auto m = load_stories();
  GenerationRequest seeded = greedy(*m, "Once upon a time", 48);
  seeded.sampling.temperature = 0.9f;
  seeded.sampling.top_k = 40;
  seeded.sampling.top_p = 0.9f;
  seeded.sampling.min_p = 0.05f;
  seeded.sampling.seed = 1234;
  seeded.ignore_eos = true;
  GenerationRequest argmax = greedy(*m, "The dog ran to the park and", 48);
  argmax.ignore_eos = true;
  GenerationLoopOptions all_logits;
  all_logits.sample_from_candidates = false;
  // One request at a time: every pass then holds the same tokens in both loops.
  for (const GenerationRequest& request : {argmax, seeded}) {
    GenerationLoop from_candidates(*m, {}), from_logits(*m, all_logits);
    const Outcome a = run(from_candidates, request).get();
    const Outcome b = run(from_logits, request).get();
    ASSERT_EQ(a.tokens.size(), 48u);
    EXPECT_EQ(a.tokens, b.tokens);
    ASSERT_EQ(a.logprobs.size(), b.logprobs.size());
    for (size_t i = 0; i < a.logprobs.size(); ++i) EXPECT_NEAR(a.logprobs[i], b.logprobs[i], 1e-5) << i;
    EXPECT_EQ(a.text, b.text);
  }
}

TEST(Model, TopLogprobsListTheMostLikelyTokensAlikeFromCandidatesAndFromAllLogits) {
  REQUIRE_TEST_DATA();
  auto m = load_stories();
  constexpr size_t kTokens = 16, kTop = 5;
  GenerationRequest request = greedy(*m, "Once upon a time", kTokens);
  request.ignore_eos = true;
  request.top_logprobs = kTop;
  GenerationLoopOptions all_logits;
  all_logits.sample_from_candidates = false;
  GenerationLoop from_candidates(*m, {}), from_logits(*m, all_logits);
  const Outcome a = run(from_candidates, request).get();
  const Outcome b = run(from_logits, request).get();
  ASSERT_EQ(a.tops.size(), kTokens);
  ASSERT_EQ(b.tops.size(), kTokens);
  for (size_t i = 0; i < kTokens; ++i) {
    ASSERT_TRUE(a.with_top[i]);
    ASSERT_EQ(a.tops[i].size(), kTop) << i;
    ASSERT_EQ(b.tops[i].size(), kTop) << i;
    // Greedy picks the most likely token: the first alternative, with the token's own logprob.
    EXPECT_EQ(a.tops[i][0].token, a.tokens[i]) << i;
    EXPECT_NEAR(a.tops[i][0].logprob, a.logprobs[i], 1e-5) << i;
    for (size_t j = 0; j < kTop; ++j) {
      EXPECT_EQ(a.tops[i][j].token, b.tops[i][j].token) << i << "/" << j;
      EXPECT_NEAR(a.tops[i][j].logprob, b.tops[i][j].logprob, 1e-5) << i << "/" << j;
      EXPECT_EQ(a.tops[i][j].piece, m->tokenizer().token_to_piece(a.tops[i][j].token, true));
      if (j > 0) EXPECT_LE(a.tops[i][j].logprob, a.tops[i][j - 1].logprob) << i << "/" << j;
    }
  }
  // Not asked for: no alternatives.
  const Outcome plain = run(from_candidates, greedy(*m, "Once upon a time", 2)).get();
  EXPECT_FALSE(plain.with_top[0]);
  EXPECT_TRUE(plain.tops[0].empty());
  GenerationRequest too_many = request;
  too_many.top_logprobs = kMaxTopLogprobs + 1;
  EXPECT_THROW(from_candidates.submit(too_many, {}), EngineError);
}

TEST(Model, APassSplitByTheBatchLimitReturnsEveryRowsTopCandidates) {
  REQUIRE_TEST_DATA();
  ModelOptions options = test::cpu_options(-1, -1);
  options.n_batch = 16;
  auto m = Model::load(stories_path(), options, nullptr);
  const std::vector<TokenId> tokens = m->tokenizer().encode(
      "Once upon a time, there was a little girl named Lily. She loved to play outside in the park with her friends.",
      true, false);
  ASSERT_GT(tokens.size(), 32u);
  const auto batch_of = [&](KvCache* cache) {
    Batch batch;
    for (size_t i = 0; i < tokens.size(); ++i) batch.push_back({cache, tokens[i], static_cast<int32_t>(i), i % 3 != 1});
    return batch;
  };
  auto cache = m->new_cache();
  std::vector<float> logits;
  m->forward(batch_of(cache.get()), logits);
  cache = m->new_cache();
  PassOutput out;
  m->forward(batch_of(cache.get()), 40, out);
  const size_t rows = logits.size() / 512;
  EXPECT_EQ(out.candidates, 40);
  ASSERT_EQ(out.rows.size(), rows);
  for (size_t r = 0; r < rows; ++r) {
    const TopCandidates expected = top_candidates(logits.data() + r * 512, 512, 40);
    ASSERT_EQ(out.rows[r].top.size(), 40u);
    for (size_t i = 0; i < 40; ++i) {
      ASSERT_EQ(out.rows[r].top[i].id, expected.top[i].id) << r << " " << i;
      ASSERT_NEAR(out.rows[r].top[i].logit, expected.top[i].logit, 1e-4) << r << " " << i;
    }
    EXPECT_NEAR(out.rows[r].log_sum_exp, expected.log_sum_exp, 1e-4) << r;
  }
  EXPECT_THROW(m->forward(batch_of(cache.get()), kMaxTopCandidates + 1, out), EngineError);
}

TEST(Model, CancelEndsARequestWithItsReason) {
  REQUIRE_TEST_DATA();
  auto m = load_stories();
  GenerationLoop loop(*m, {});
  uint64_t id = 0;
  GenerationRequest r = greedy(*m, "Once upon a time", -1);
  r.ignore_eos = true;
  auto future = run(loop, std::move(r), &id);
  EXPECT_TRUE(loop.cancel(id));
  const Outcome out = future.get();
  EXPECT_EQ(out.done.reason, "cancelled");
  EXPECT_FALSE(loop.cancel(id + 100));
  // The sequence and its cache are gone once the pass that ended it is over.
  for (int i = 0; i < 200 && loop.active() + loop.queued() > 0; ++i) std::this_thread::sleep_for(std::chrono::milliseconds(5));
  EXPECT_EQ(loop.active(), 0);
  EXPECT_EQ(loop.queued(), 0);
}

TEST(Model, RefusesBadRequestsWithClearCodes) {
  REQUIRE_TEST_DATA();
  auto m = load_stories();
  GenerationLoop loop(*m, {});
  auto code_of = [&](GenerationRequest r) -> std::string {
    try {
      run(loop, std::move(r));
    } catch (const EngineError& e) {
      return e.code();
    }
    return "accepted";
  };
  GenerationRequest empty;
  EXPECT_EQ(code_of(empty), "NT_E_BAD_REQUEST");
  GenerationRequest zero = greedy(*m, "Once", 0);
  EXPECT_EQ(code_of(zero), "NT_E_BAD_REQUEST");
  GenerationRequest too_long = greedy(*m, "Once", 1);
  too_long.prompt.assign(256, 1);  // the context is 256
  EXPECT_EQ(code_of(too_long), "NT_E_BAD_REQUEST");
  GenerationRequest bad_id = greedy(*m, "Once", 1);
  bad_id.prompt.push_back(512);
  EXPECT_EQ(code_of(bad_id), "NT_E_BAD_REQUEST");
}

TEST(Model, RefusesAnArchitectureItDoesNotSupportByName) {
  test::GgufBytes b;
  b.header(3, 0, 1).kv_str("general.architecture", "mamba");
  const GgufFile file = parse_gguf(b.bytes().data(), b.size());
  try {
    read_hparams(file);
    FAIL() << "accepted";
  } catch (const EngineError& e) {
    EXPECT_EQ(e.code(), "NT_E_UNSUPPORTED");
    EXPECT_NE(std::string(e.what()).find("mamba"), std::string::npos);
  }
}

// Found by the fuzzer: a block_count far past the file's tensors made bind_weights reserve its
// layer table first (29 GB for 2^28 layers) and die of it, instead of refusing the file.
TEST(Model, RefusesABlockCountPastTheFilesTensorsBeforeReservingLayers) {
  REQUIRE_TEST_DATA();
  const GgufFile file = read_gguf_file(stories_path());
  Hparams h = read_hparams(file);
  h.n_layer = 1 << 28;
  try {
    bind_weights(file, h);
    FAIL() << "accepted";
  } catch (const EngineError& e) {
    EXPECT_EQ(e.code(), "NT_E_BAD_GGUF");
    EXPECT_NE(std::string(e.what()).find("block_count 268435456"), std::string::npos) << e.what();
  }
}

}  // namespace nt
