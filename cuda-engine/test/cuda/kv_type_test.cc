// An F16 KV cache on the GPU against the CPU's, on the TinyStories checkpoint. Both store the same
// F16 keys and values and round q to F16; the CPU sums each head's output in F16 (as ggml's CPU
// flash attention), the GPU in F32, so logits differ by what F16 accumulation costs over 200
// positions: the CPU's F16 and F32 caches differ by 0.02 there (kv_type_test.cc).
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdio>

#include "cuda/cuda_test_device.h"
#include "model/model.h"
#include "model/stories_model.h"
#include "test_data.h"

namespace nt {

namespace {

std::vector<float> logits(const std::string& backend, const std::string& kv_type) {
  ModelOptions o;
  o.backend = backend;
  o.threads = 2;
  o.n_ctx = 256;
  o.kv_type = kv_type;
  auto model = Model::load(test::stories_path(), o, nullptr);
  std::vector<TokenId> ids(200);
  for (size_t i = 0; i < ids.size(); ++i) ids[i] = i == 0 ? 1 : static_cast<TokenId>((i * 7919 + 13) % 512);
  return model->evaluate(ids, 64);
}

double max_difference(const std::vector<float>& a, const std::vector<float>& b) {
  double worst = 0;
  for (size_t i = 0; i < a.size(); ++i) worst = std::max(worst, double{std::fabs(a[i] - b[i])});
  return worst;
}

}  // namespace

TEST(CudaKvType, AnF16CacheGivesTheCpusF16Logits) {
  NT_SKIP_WITHOUT_CUDA();
  REQUIRE_TEST_DATA();
  const std::vector<float> gpu16 = logits("cuda", "f16"), cpu16 = logits("cpu", "f16"), gpu32 = logits("cuda", "f32");
  ASSERT_EQ(gpu16.size(), cpu16.size());
  const double vs_cpu = max_difference(gpu16, cpu16), vs_f32 = max_difference(gpu16, gpu32);
  std::printf("  GPU f16 against CPU f16: max |Δ logit| %.3g; against GPU f32: %.3g\n", vs_cpu, vs_f32);
  EXPECT_LT(vs_cpu, 0.05);
  EXPECT_GT(vs_f32, 0.0) << "the F16 cache changed nothing on the GPU: is it used?";
}

}  // namespace nt
