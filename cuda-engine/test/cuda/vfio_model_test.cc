// The vfio backend on the GPU (issue 15): a model whose every block streams tier C through the
// data plane (FakeDataplane, a thread serving the ring from the GGUF file) uploads it straight
// from the ring's slots, registered with CUDA — no staging, no host copy — and gives exactly the
// logits of the same model read from the file through the streamer's own staging.
#include <gtest/gtest.h>

#include <algorithm>

#include "cuda/cuda_test_device.h"
#include "model/fake_dataplane.h"
#include "model/model.h"
#include "model/plan_input.h"
#include "model/stories_model.h"
#include "test_data.h"

namespace nt {

namespace {

// Budgets that leave only the host-only tensors resident, as the CPU tests', on the GPU.
ModelOptions everything_streams(const TierPlan& p) {
  ModelOptions o = test::everything_streams(p);
  o.backend = "cuda";
  o.allow_buffered_io = true;  // the reference reads the file: wherever the test data lives
  return o;
}

}  // namespace

TEST(CudaVfioModel, TierCUploadedFromTheDataPlaneSlotsGivesTheFileLogits) {
  NT_SKIP_WITHOUT_CUDA();
  REQUIRE_TEST_DATA();
  ModelOptions resident = test::cpu_options(-1, -1, 3);
  resident.backend = "cuda";
  const ModelOptions options = everything_streams(Model::load(test::stories_path(), resident, nullptr)->plan());
  auto from_file = Model::load(test::stories_path(), options, nullptr);
  ASSERT_GT(from_file->plan().totals.c, 0u);
  const std::vector<TokenId> tokens =
      from_file->tokenizer().encode("Once upon a time, there was a little girl.", true, false);
  const std::vector<float> expected = from_file->evaluate(tokens, 7);
  EXPECT_EQ("staging", from_file->stream_stats().tier_c_path);
  from_file.reset();

  test::FakeDataplane helper(test::stories_path(), 512, 4, 64 << 10);
  ModelSource s = ModelSource::vfio(helper.fd(), helper.image_bytes(), "stories");
  s.timeout_ms = 5000;
  auto m = Model::load(s, options, nullptr);
  ASSERT_GT(m->plan().totals.c, 0u);
  const std::vector<float> got = m->evaluate(tokens, 7);
  const StreamStats stats = m->stream_stats();
  EXPECT_EQ("reader-buffers", stats.tier_c_path) << "fell back to staging: " << stats.tier_c_fallback;
  EXPECT_EQ(0u, helper.refused());
  ASSERT_EQ(got.size(), expected.size());
  for (size_t i = 0; i < got.size(); ++i) ASSERT_EQ(got[i], expected[i]) << "logit " << i;
}

}  // namespace nt
