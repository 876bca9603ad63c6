// Many sequences over one paged KV pool (backend/kv_pool.h) through the generation loop, on the
// TinyStories checkpoint: sequences that join and leave mid-stream get the tokens they would get
// alone, a request waits for blocks rather than failing while others hold them, a pool too small
// fails the request that cannot fit with NT_E_OUT_OF_MEMORY, and no block is lost over a thousand
// requests finished, cancelled waiting, cancelled running and failed.
#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <mutex>
#include <random>
#include <thread>

#include "model/run_generation.h"
#include "model/stories_model.h"
#include "test_data.h"

namespace nt {

namespace {

using test::greedy;
using test::Outcome;
using test::run;

std::unique_ptr<Model> load(int32_t n_ctx, int32_t kv_size) {
  ModelOptions options;
  options.threads = 2;
  options.n_ctx = n_ctx;
  options.kv_size = kv_size;
  return Model::load(test::stories_path(), options, nullptr);
}

GenerationLoopOptions sequences(int32_t n) {
  GenerationLoopOptions o;
  o.max_sequences = n;
  return o;
}

// Until the loop has dropped every ended sequence (and so its cache): on_done comes first.
void wait_idle(const GenerationLoop& loop) {
  for (int i = 0; i < 1000 && loop.active() + loop.queued() > 0; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
}

GenerationRequest endless(const Model& m, const std::string& prompt, int32_t n) {
  GenerationRequest r = greedy(m, prompt, n);
  r.ignore_eos = true;  // the lengths, and so the blocks used, are the test's
  return r;
}

const char* const kPrompts[] = {"Once upon a time", "The dog ran to the park and",
                                "Lily had a red ball. One day", "Tom", "The sun was hot and the birds"};

TEST(BatchedGeneration, SequencesJoiningAndLeavingMidStreamGetTheirTokensAlone) {
  REQUIRE_TEST_DATA();
  // 16 blocks for four sequences of up to 128 positions: less than a full context each.
  auto m = load(128, 256);
  const int32_t lengths[] = {30, 12, 24, 6};
  std::vector<Outcome> alone;
  {
    GenerationLoop loop(*m, sequences(1));
    for (int i = 0; i < 4; ++i) alone.push_back(run(loop, endless(*m, kPrompts[i], lengths[i])).get());
  }
  GenerationLoop loop(*m, sequences(4));
  // Each request is submitted from the previous one's token callback, so it joins passes the
  // others are in the middle of; the short ones leave while the long ones go on.
  std::mutex mutex;
  std::vector<std::future<Outcome>> futures(4);
  std::function<void(int)> start = [&](int i) {
    std::lock_guard<std::mutex> lock(mutex);
    auto joined = std::make_shared<std::atomic<bool>>(false);
    futures[i] = run(loop, endless(*m, kPrompts[i], lengths[i]), nullptr, [&, i, joined](const TokenEvent&) {
      if (i + 1 < 4 && !joined->exchange(true)) start(i + 1);
    });
  };
  start(0);
  for (int i = 0; i < 4; ++i) {
    std::future<Outcome> f;
    for (int tries = 0; tries < 2000; ++tries) {
      {
        std::lock_guard<std::mutex> lock(mutex);
        if (futures[i].valid()) {
          f = std::move(futures[i]);
          break;
        }
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
    ASSERT_TRUE(f.valid()) << "request " << i << " was never submitted";
    const Outcome got = f.get();
    EXPECT_EQ(got.done.reason, "length") << i << " " << got.done.message;
    EXPECT_EQ(got.tokens, alone[i].tokens) << "request " << i;
  }
  wait_idle(loop);
  EXPECT_EQ(m->kv_pool().free_blocks(), m->kv_pool().n_blocks());
}

TEST(BatchedGeneration, ARequestWaitsForBlocksOthersHold) {
  REQUIRE_TEST_DATA();
  auto m = load(64, 32);  // two blocks
  std::vector<TokenId> long_prompt = m->tokenizer().encode(
      "Once upon a time, there was a little girl named Lily. She loved to play outside in the park.", true, false);
  ASSERT_GT(long_prompt.size(), 20u);
  long_prompt.resize(20);  // two blocks' worth of prompt
  GenerationRequest second;
  second.prompt = long_prompt;
  second.sampling.temperature = 0;
  second.max_tokens = 3;
  Outcome second_alone;
  {
    GenerationLoop loop(*m, sequences(1));
    second_alone = run(loop, second).get();
  }
  GenerationLoop loop(*m, sequences(2));
  std::promise<void> first_token;
  std::atomic<bool> told{false};
  auto first = run(loop, endless(*m, "Once upon a time", 20), nullptr, [&](const TokenEvent&) {
    if (!told.exchange(true)) first_token.set_value();
  });
  first_token.get_future().wait();  // the first sequence runs and holds a block
  auto later = run(loop, second);
  EXPECT_EQ(first.get().done.reason, "length");
  const Outcome got = later.get();
  EXPECT_EQ(got.done.reason, "length") << got.done.message;
  EXPECT_EQ(got.tokens, second_alone.tokens);
  wait_idle(loop);
  EXPECT_EQ(m->kv_pool().free_blocks(), 2);
}

TEST(BatchedGeneration, APoolTooSmallFailsTheRequestThatCannotFit) {
  REQUIRE_TEST_DATA();
  auto m = load(128, 32);  // two blocks
  GenerationLoop loop(*m, sequences(2));
  GenerationRequest big;
  big.prompt.assign(40, 1);
  big.max_tokens = 1;
  const Outcome refused = run(loop, big).get();
  EXPECT_EQ(refused.done.reason, "error");
  EXPECT_EQ(refused.done.code, "NT_E_OUT_OF_MEMORY");
  EXPECT_NE(refused.done.message.find("KV blocks"), std::string::npos) << refused.done.message;
  // A sequence that outgrows the pool mid-decode ends there, with the tokens it had.
  const Outcome outgrown = run(loop, endless(*m, "Once upon a time", 100)).get();
  EXPECT_EQ(outgrown.done.reason, "error");
  EXPECT_EQ(outgrown.done.code, "NT_E_OUT_OF_MEMORY");
  const int32_t prompt = static_cast<int32_t>(greedy(*m, "Once upon a time", 1).prompt.size());
  EXPECT_EQ(static_cast<int32_t>(outgrown.tokens.size()), 2 * KvPool::kBlockPositions - prompt + 1);
  wait_idle(loop);
  EXPECT_EQ(m->kv_pool().free_blocks(), 2);
}

TEST(BatchedGeneration, NoBlockLeaksOverAThousandRequests) {
  REQUIRE_TEST_DATA();
  auto m = load(128, 160);  // ten blocks for eight sequences: some run out mid-decode
  const int32_t total = m->kv_pool().n_blocks();
  std::atomic<int32_t> least_free{total};
  std::vector<std::future<Outcome>> futures;
  {
    GenerationLoop loop(*m, sequences(8));
    std::mt19937 rng(13);
    std::vector<uint64_t> ids;
    for (int i = 0; i < 1000; ++i) {
      uint64_t id = 0;
      GenerationRequest r = endless(*m, kPrompts[i % 5], 1 + static_cast<int32_t>(rng() % 24));
      futures.push_back(run(loop, std::move(r), &id, [&](const TokenEvent&) {
        const int32_t free = m->kv_pool().free_blocks();
        int32_t seen = least_free.load();
        while (free < seen && !least_free.compare_exchange_weak(seen, free)) {
        }
      }));
      ids.push_back(id);
      if (i % 5 == 0) loop.cancel(id);                  // most likely still waiting
      if (i % 7 == 0 && i >= 10) loop.cancel(ids[i - 10]);  // perhaps running by now
    }
    int counts[4] = {0, 0, 0, 0};
    for (auto& f : futures) {
      const Outcome o = f.get();
      const std::string& r = o.done.reason;
      if (r == "length") {
        ++counts[0];
      } else if (r == "cancelled") {
        ++counts[1];
      } else if (r == "error" && o.done.code == "NT_E_OUT_OF_MEMORY") {
        ++counts[2];
      } else {
        ++counts[3];
        ADD_FAILURE() << r << " " << o.done.code << " " << o.done.message;
      }
    }
    std::printf("  1000 requests: %d finished, %d cancelled, %d out of blocks; least free %d of %d\n", counts[0],
                counts[1], counts[2], least_free.load(), total);
    EXPECT_GT(counts[0], 0);
    EXPECT_GT(counts[1], 0);
    wait_idle(loop);
    EXPECT_EQ(loop.active() + loop.queued(), 0);
    EXPECT_EQ(m->kv_pool().free_blocks(), total) << "blocks leaked";
  }
  EXPECT_LT(least_free.load(), total / 2) << "the requests never shared the pool";
  EXPECT_EQ(m->kv_pool().free_blocks(), total);
}

}  // namespace
}  // namespace nt
