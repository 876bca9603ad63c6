// A resident decode pass is captured once per shape and replayed (cuda/pass_graphs.h). A replay
// must compute exactly what direct launches compute, at every position: positions, caches and
// RoPE tables reach the kernels through buffers the pass refills, and the attention's chunk count
// (which grows with the context) is part of the shape. So the logits of a long run are compared
// bit for bit with NT_CUDA_GRAPHS=0, across chunk boundaries, two sequences in one pass, and a
// prompt pass whose rows are pruned before the output.
#include <gtest/gtest.h>

#include <cstdlib>

#include "cuda/cuda_test_device.h"
#include "model/model.h"
#include "model/stories_model.h"
#include "test_data.h"

namespace nt {

namespace {

std::vector<float> run(bool graphs) {
  setenv("NT_CUDA_GRAPHS", graphs ? "1" : "0", 1);
  ModelOptions o;
  o.backend = "cuda";
  o.n_ctx = 512;
  o.n_batch = 16;
  o.n_sequences = 2;
  auto model = Model::load(test::stories_path(), o, nullptr);
  unsetenv("NT_CUDA_GRAPHS");
  auto first = model->new_cache();
  auto second = model->new_cache();
  std::vector<float> all, logits;
  const auto keep = [&] { all.insert(all.end(), logits.begin(), logits.end()); };
  const int32_t n_vocab = model->n_vocab();
  const auto token_at = [&](int32_t pos) { return (pos * 37 + 11) % n_vocab; };
  // A prompt of 8 tokens, only the last wanting logits: the pruned-rows path.
  Batch prompt;
  for (int32_t pos = 0; pos < 8; ++pos) prompt.push_back({first.get(), token_at(pos), pos, pos == 7});
  model->forward(prompt, logits);
  keep();
  // One token per pass past the 128- and 256-position chunk boundaries; the second sequence
  // joins the pass (two rows, two caches) for a stretch in the middle.
  for (int32_t pos = 8; pos < 300; ++pos) {
    Batch step{{first.get(), token_at(pos), pos, true}};
    if (pos >= 100 && pos < 140) step.push_back({second.get(), token_at(pos + 5), pos - 100, true});
    model->forward(step, logits);
    keep();
  }
  return all;
}

}  // namespace

TEST(CudaGraphReplay, GivesTheLogitsOfDirectLaunchesAtEveryPosition) {
  NT_SKIP_WITHOUT_CUDA();
  REQUIRE_TEST_DATA();
  const std::vector<float> direct = run(false);
  const std::vector<float> replayed = run(true);
  ASSERT_EQ(direct.size(), replayed.size());
  for (size_t i = 0; i < direct.size(); ++i) ASSERT_EQ(direct[i], replayed[i]) << "logit " << i;
}

}  // namespace nt
