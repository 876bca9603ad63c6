// cuda::top_candidates against the CPU reference (sample/top_candidates.h): the same ids and
// logits in the same order for every row — ties at the top broken by id, -inf and NaN last —
// and the log-sum-exp to float rounding; captured in a CUDA graph and replayed on new logits;
// and the CUDA model sampling from candidates as it does from all logits.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <functional>
#include <future>
#include <limits>
#include <random>
#include <vector>

#include "cuda/cuda_test_device.h"
#include "cuda/kernels/top_candidates.h"
#include "engine/generation_loop.h"
#include "model/model.h"
#include "model/stories_model.h"
#include "sample/top_candidates.h"
#include "test_data.h"

namespace nt::cuda::test {
namespace {

constexpr float kInf = std::numeric_limits<float>::infinity();

// Normal logits on an eighth-step grid (many equal values), 1 % -inf, and ties planted where
// they matter: a dozen ids share the row's maximum and a dozen more the value ranked ~30th.
std::vector<float> planted_logits(int64_t rows, int64_t n_vocab, std::mt19937& rng) {
  std::normal_distribution<float> normal(0.0f, 3.0f);
  std::uniform_int_distribution<int> percent(0, 99);
  std::uniform_int_distribution<int64_t> any_id(0, n_vocab - 1);
  std::vector<float> v(static_cast<size_t>(rows * n_vocab));
  for (int64_t r = 0; r < rows; ++r) {
    float* row = v.data() + r * n_vocab;
    for (int64_t i = 0; i < n_vocab; ++i) row[i] = percent(rng) == 0 ? -kInf : std::round(normal(rng) * 8.0f) / 8.0f;
    std::vector<float> sorted(row, row + n_vocab);
    std::nth_element(sorted.begin(), sorted.begin() + 30, sorted.end(), std::greater<float>());
    const float max = *std::max_element(row, row + n_vocab), thirtieth = sorted[30];
    for (int i = 0; i < 12; ++i) row[any_id(rng)] = max;
    for (int i = 0; i < 12; ++i) row[any_id(rng)] = thirtieth;
  }
  return v;
}

struct DeviceResult {
  std::vector<Candidate> top;
  std::vector<float> log_sum_exp;
};

DeviceResult run_on_device(const std::vector<float>& logits, int64_t rows, int64_t n_vocab, int32_t k) {
  const DeviceBuffer<float> d_logits = to_device(logits);
  DeviceBuffer<float> scratch(top_candidates_scratch_floats(rows, n_vocab), "scratch");
  DeviceBuffer<Candidate> top(rows * k, "top");
  DeviceBuffer<float> lse(rows, "log-sum-exp");
  top_candidates(d_logits.get(), rows, n_vocab, k, scratch.get(), top.get(), lse.get(), test_stream());
  return {to_host(top.get(), rows * k), to_host(lse.get(), rows)};
}

void expect_reference(const DeviceResult& got, const std::vector<float>& logits, int64_t rows, int64_t n_vocab,
                      int32_t k) {
  for (int64_t r = 0; r < rows; ++r) {
    const TopCandidates expected = nt::top_candidates(logits.data() + r * n_vocab, static_cast<int32_t>(n_vocab), k);
    for (int32_t i = 0; i < k; ++i) {
      const Candidate& c = got.top[r * k + i];
      ASSERT_EQ(c.id, expected.top[i].id) << "row " << r << ", rank " << i;
      ASSERT_EQ(c.logit, expected.top[i].logit) << "row " << r << ", rank " << i;
    }
    if (std::isinf(expected.log_sum_exp) || std::isnan(expected.log_sum_exp)) {
      EXPECT_EQ(std::isnan(got.log_sum_exp[r]), std::isnan(expected.log_sum_exp)) << "row " << r;
      if (std::isinf(expected.log_sum_exp)) EXPECT_EQ(got.log_sum_exp[r], expected.log_sum_exp) << "row " << r;
    } else {
      EXPECT_NEAR(got.log_sum_exp[r], expected.log_sum_exp, 1e-5 * std::max(1.0f, std::fabs(expected.log_sum_exp)))
          << "row " << r;
    }
  }
}

TEST(CudaTopCandidates, MatchTheCpuOnRealVocabularySizes) {
  NT_SKIP_WITHOUT_CUDA();
  std::mt19937 rng(5);
  for (const int64_t n_vocab : {32000, 128256, 151936, 262144}) {
    const std::vector<float> logits = planted_logits(8, n_vocab, rng);
    for (int64_t rows = 1; rows <= 8; ++rows) {
      for (const int32_t k : {1, 40, 64}) {
        SCOPED_TRACE(testing::Message() << "n_vocab " << n_vocab << ", rows " << rows << ", k " << k);
        expect_reference(run_on_device(logits, rows, n_vocab, k), logits, rows, n_vocab, k);
      }
    }
  }
}

TEST(CudaTopCandidates, MatchTheCpuOnSmallAndRaggedVocabularies) {
  NT_SKIP_WITHOUT_CUDA();
  std::mt19937 rng(6);
  // One segment; a last segment of one logit; k as large as the vocabulary.
  for (const int64_t n_vocab : {64, 512, 1025, 4097}) {
    const std::vector<float> logits = planted_logits(3, n_vocab, rng);
    for (const int32_t k : {1, 40, 64}) {
      SCOPED_TRACE(testing::Message() << "n_vocab " << n_vocab << ", k " << k);
      expect_reference(run_on_device(logits, 3, n_vocab, k), logits, 3, n_vocab, k);
    }
  }
}

TEST(CudaTopCandidates, RanksNanLastAndGivesMinusInfinityForAnAllMinusInfinityRow) {
  NT_SKIP_WITHOUT_CUDA();
  const int64_t n_vocab = 5000;
  std::vector<float> logits(2 * n_vocab, -kInf);  // row 0: all -inf
  std::mt19937 rng(7);
  std::normal_distribution<float> normal;
  for (int64_t i = n_vocab; i < 2 * n_vocab; ++i) logits[i] = i % 97 == 0 ? std::nanf("") : normal(rng);
  logits[n_vocab + 4000] = -kInf;
  expect_reference(run_on_device(logits, 2, n_vocab, 64), logits, 2, n_vocab, 64);
  // Every id ranks by value, then id: the all -inf row keeps ids 0..63.
  const DeviceResult got = run_on_device(logits, 1, n_vocab, 64);
  for (int32_t i = 0; i < 64; ++i) EXPECT_EQ(got.top[i].id, i);
}

TEST(CudaTopCandidates, ReplaysFromACapturedGraphOnNewLogits) {
  NT_SKIP_WITHOUT_CUDA();
  const int64_t rows = 4, n_vocab = 128256;
  const int32_t k = 64;
  std::mt19937 rng(8);
  DeviceBuffer<float> d_logits(rows * n_vocab, "logits");
  DeviceBuffer<float> scratch(top_candidates_scratch_floats(rows, n_vocab), "scratch");
  DeviceBuffer<Candidate> top(rows * k, "top");
  DeviceBuffer<float> lse(rows, "log-sum-exp");
  // As the CUDA backend captures a pass: thread-local mode, the first launch inside the capture.
  cudaGraph_t graph = nullptr;
  CUDA_CHECK(cudaStreamBeginCapture(test_stream(), cudaStreamCaptureModeThreadLocal));
  top_candidates(d_logits.get(), rows, n_vocab, k, scratch.get(), top.get(), lse.get(), test_stream());
  CUDA_CHECK(cudaStreamEndCapture(test_stream(), &graph));
  cudaGraphExec_t exec = nullptr;
  CUDA_CHECK(cudaGraphInstantiate(&exec, graph, 0));
  for (int replay = 0; replay < 3; ++replay) {
    const std::vector<float> logits = planted_logits(rows, n_vocab, rng);
    CUDA_CHECK(cudaMemcpyAsync(d_logits.get(), logits.data(), logits.size() * sizeof(float), cudaMemcpyHostToDevice,
                               test_stream()));
    CUDA_CHECK(cudaGraphLaunch(exec, test_stream()));
    const DeviceResult got{to_host(top.get(), rows * k), to_host(lse.get(), rows)};
    SCOPED_TRACE(testing::Message() << "replay " << replay);
    expect_reference(got, logits, rows, n_vocab, k);
  }
  cudaGraphExecDestroy(exec);
  cudaGraphDestroy(graph);
}

TEST(CudaTopCandidates, RefusesKOutsideItsRangeAndHugeVocabularies) {
  NT_SKIP_WITHOUT_CUDA();
  DeviceBuffer<float> scratch(top_candidates_scratch_floats(1, 1000), "scratch");
  DeviceBuffer<Candidate> top(kMaxTopCandidates + 1, "top");
  DeviceBuffer<float> lse(1, "log-sum-exp"), logits(1000, "logits");
  const auto code_of = [&](int64_t n_vocab, int32_t k) -> std::string {
    try {
      top_candidates(logits.get(), 1, n_vocab, k, scratch.get(), top.get(), lse.get(), test_stream());
    } catch (const EngineError& e) {
      return e.code();
    }
    return "accepted";
  };
  EXPECT_EQ(code_of(1000, 0), "NT_E_INTERNAL");
  EXPECT_EQ(code_of(1000, kMaxTopCandidates + 1), "NT_E_INTERNAL");
  EXPECT_EQ(code_of(10, 11), "NT_E_INTERNAL");
  EXPECT_EQ(code_of(kTopCandidatesMaxVocab + 1, 1), "NT_E_UNSUPPORTED");
}

// The CUDA model through the generation loop: sampling from the GPU's candidates gives the tokens
// and logprobs that all logits give (the greedy and a seeded top-k/top-p request).
TEST(CudaTopCandidates, TheCudaModelSamplesFromCandidatesAsFromAllLogits) {
  NT_SKIP_WITHOUT_CUDA();
  REQUIRE_TEST_DATA();
  ModelOptions o;
  o.backend = "cuda";
  o.n_ctx = 256;
  auto m = Model::load(nt::test::stories_path(), o, nullptr);
  GenerationRequest argmax;
  argmax.prompt = m->tokenizer().encode("Once upon a time", true, false);
  argmax.sampling.temperature = 0;
  argmax.max_tokens = 64;
  argmax.ignore_eos = true;
  GenerationRequest seeded = argmax;
  seeded.sampling.temperature = 0.9f;
  seeded.sampling.top_k = 40;
  seeded.sampling.top_p = 0.9f;
  seeded.sampling.seed = 99;
  struct Run {
    std::vector<TokenId> tokens;
    std::vector<float> logprobs;
  };
  const auto generate = [&](bool from_candidates, const GenerationRequest& request) {
    GenerationLoopOptions options;
    options.sample_from_candidates = from_candidates;
    GenerationLoop loop(*m, options);
    auto run = std::make_shared<Run>();
    auto done = std::make_shared<std::promise<void>>();
    GenerationCallbacks callbacks;
    callbacks.on_token = [run](const TokenEvent& e) {
      run->tokens.push_back(e.token);
      run->logprobs.push_back(e.logprob);
    };
    callbacks.on_done = [done](const DoneEvent&) { done->set_value(); };
    loop.submit(request, callbacks);
    done->get_future().get();
    return *run;
  };
  for (const GenerationRequest& request : {argmax, seeded}) {
    const Run a = generate(true, request), b = generate(false, request);
    ASSERT_EQ(a.tokens.size(), 64u);
    EXPECT_EQ(a.tokens, b.tokens);
    ASSERT_EQ(a.logprobs.size(), b.logprobs.size());
    for (size_t i = 0; i < a.logprobs.size(); ++i) EXPECT_NEAR(a.logprobs[i], b.logprobs[i], 1e-5) << i;
  }
}

}  // namespace
}  // namespace nt::cuda::test
