// Whole decode passes with the fused kernels (cuda/kernels/fused_matvec.h, rope_store_kv) against
// NT_CUDA_FUSED=0, which launches the separate kernels: the logits must be the same bits. The
// model is synthetic and Q4_K_M-shaped (stories260K's rows are too short for K-quants): Q4_K
// products, the second layer's v and down in Q6_K (its q, k, v do not fuse), a Q6_K head, gate
// and up of 2304 rows (one token takes matvec_blocks_kernel's 64-thread CTAs), GQA; a prompt,
// one-token steps and two sequences in one pass, in each KV cache type, replayed as graphs and
// launched directly (a profiled pass), whose profile shows which kernels ran.
#include <gtest/gtest.h>

#include <cstdlib>
#include <cstring>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include "backend/kv_cache.h"
#include "backend/op_profile.h"
#include "cpu/quant_test_rows.h"
#include "cuda/cuda_backend.h"
#include "cuda/cuda_stream_device.h"
#include "cuda/cuda_test_device.h"
#include "cuda/matmul_choice.h"
#include "gguf/ggml_type.h"

namespace nt::cuda::test {
namespace {

Hparams small_llama() {
  Hparams h;
  h.arch = "llama";
  h.n_vocab = 512;
  h.n_embd = 512;
  h.n_layer = 2;
  h.n_head = 8;
  h.n_head_kv = 2;
  h.head_dim = 64;
  h.n_ff = 2304;
  h.rope_dim = 64;
  h.rope_theta = 500000.0f;
  return h;
}

// Resident synthetic weights: random valid blocks in device memory, the embedding in host memory.
class SyntheticWeights : public WeightSource {
 public:
  explicit SyntheticWeights(const Hparams& h) : rng_(21) {
    const int64_t q_dim = int64_t{h.n_head} * h.head_dim;
    for (int32_t l = 0; l < h.n_layer; ++l) {
      const GgmlType more = l == 1 ? GgmlType::Q6_K : GgmlType::Q4_K;
      LayerWeights w;
      w.attn_norm = norm(h.n_embd);
      w.wq = matrix(GgmlType::Q4_K, q_dim, h.n_embd);
      w.wk = matrix(GgmlType::Q4_K, h.n_embd_kv(), h.n_embd);
      w.wv = matrix(more, h.n_embd_kv(), h.n_embd);
      w.wo = matrix(GgmlType::Q4_K, h.n_embd, q_dim);
      w.ffn_norm = norm(h.n_embd);
      w.w_gate = matrix(GgmlType::Q4_K, h.n_ff, h.n_embd);
      w.w_up = matrix(GgmlType::Q4_K, h.n_ff, h.n_embd);
      w.w_down = matrix(more, h.n_embd, h.n_ff);
      layers_.push_back(w);
    }
    output_.output_norm = norm(h.n_embd);
    output_.output = matrix(GgmlType::Q6_K, h.n_vocab, h.n_embd);
    std::normal_distribution<float> normal(0.0f, 0.5f);
    embd_.resize(static_cast<size_t>(h.n_vocab) * h.n_embd);
    for (float& f : embd_) f = normal(rng_);
    tok_embd_.data = reinterpret_cast<const uint8_t*>(embd_.data());
    tok_embd_.type = static_cast<uint32_t>(GgmlType::F32);
    tok_embd_.ne[0] = h.n_embd;
    tok_embd_.ne[1] = h.n_vocab;
  }

  const TensorView& tok_embd() const override { return tok_embd_; }
  const TensorView& rope_freqs() const override { return none_; }
  LayerWeights begin_layer(int layer) override { return layers_[static_cast<size_t>(layer)]; }
  void end_layer(int) override {}
  OutputWeights begin_output() override { return output_; }
  void end_output() override {}
  bool resident() const override { return true; }

 private:
  TensorView keep(GgmlType type, const std::vector<uint8_t>& bytes, int64_t rows, int64_t n) {
    buffers_.push_back(to_device(bytes));
    return device_view(type, buffers_.back().get(), rows, n);
  }

  TensorView matrix(GgmlType type, int64_t rows, int64_t n) {
    std::vector<uint8_t> bytes;
    for (int64_t r = 0; r < rows; ++r) {
      const std::vector<uint8_t> row = cpu::test::random_weight_row(type, n, rng_);
      bytes.insert(bytes.end(), row.begin(), row.end());
    }
    return keep(type, bytes, rows, n);
  }

  TensorView norm(int64_t n) {
    std::uniform_real_distribution<float> near_one(0.5f, 1.5f);
    std::vector<float> w(static_cast<size_t>(n));
    for (float& f : w) f = near_one(rng_);
    std::vector<uint8_t> bytes(w.size() * sizeof(float));
    std::memcpy(bytes.data(), w.data(), bytes.size());
    return keep(GgmlType::F32, bytes, 1, n);
  }

  std::mt19937 rng_;
  std::vector<DeviceBuffer<uint8_t>> buffers_;
  std::vector<LayerWeights> layers_;
  OutputWeights output_;
  std::vector<float> embd_;
  TensorView tok_embd_, none_;
};

// The logits of a 5-token prompt (the last row wanting logits, so the last layer prunes rows), 12
// one-token steps, and 6 passes with a second sequence beside the first, each pass's appended.
// fused sets NT_CUDA_FUSED for the passes; profile (optional) times them, launched directly.
std::vector<float> decode(ComputeBackend& backend, WeightSource& weights, GgmlType kv_type, bool fused,
                          OpProfile* profile) {
  const ScopedEnv env("NT_CUDA_FUSED", fused ? "1" : "0");
  backend.set_profile(profile);
  const std::shared_ptr<KvPool> pool = backend.new_kv_pool(8, kv_type);
  KvCache first(pool, 64), second(pool, 64);
  EXPECT_TRUE(first.reserve(64) && second.reserve(64));
  std::vector<float> all;
  PassOutput out;
  const auto pass = [&](const Batch& batch) {
    backend.forward(batch, weights, 0, out);
    all.insert(all.end(), out.logits.begin(), out.logits.end());
  };
  Batch prompt;
  for (int32_t pos = 0; pos < 5; ++pos) prompt.push_back({&first, (pos * 37 + 11) % 512, pos, pos == 4});
  pass(prompt);
  for (int32_t pos = 5; pos < 23; ++pos) {
    Batch step{{&first, (pos * 37 + 11) % 512, pos, true}};
    if (pos >= 17) step.push_back({&second, (pos * 13 + 5) % 512, pos - 17, true});
    pass(step);
  }
  backend.set_profile(nullptr);
  return all;
}

void expect_same_bits(const std::vector<float>& got, const std::vector<float>& expected, const std::string& what) {
  ASSERT_EQ(got.size(), expected.size()) << what;
  ASSERT_FALSE(got.empty()) << what;
  for (size_t i = 0; i < got.size(); ++i) {
    uint32_t a, b;
    std::memcpy(&a, &got[i], 4);
    std::memcpy(&b, &expected[i], 4);
    ASSERT_EQ(a, b) << what << ", logit " << i << ": fused " << got[i] << ", separate " << expected[i];
  }
}

TEST(CudaFusedDecode, FusedKernelsGiveTheSeparateKernelsLogitsBitForBit) {
  NT_SKIP_WITHOUT_CUDA();
  const ScopedEnv graphs("NT_CUDA_GRAPHS", nullptr);  // resident decode passes replay graphs
  const ScopedMatmulChoice default_choice(nullptr);   // one token of Q4_K and Q6_K: the float kernel
  const Hparams h = small_llama();
  CudaStreamDevice device(0);
  SyntheticWeights weights(h);
  const std::unique_ptr<ComputeBackend> backend = make_cuda_backend(h, h.n_vocab, device, 8);
  for (const GgmlType kv_type : {GgmlType::F16, GgmlType::F32, GgmlType::Q8_0}) {
    const std::string what = std::string("KV ") + ggml_type_name(static_cast<uint32_t>(kv_type));
    const std::vector<float> separate = decode(*backend, weights, kv_type, false, nullptr);
    // Replayed (each setting captures its own graphs), then launched directly.
    expect_same_bits(decode(*backend, weights, kv_type, true, nullptr), separate, what + ", graphs");
    OpProfile fused_ops, separate_ops;
    expect_same_bits(decode(*backend, weights, kv_type, true, &fused_ops), separate, what + ", direct");
    expect_same_bits(decode(*backend, weights, kv_type, false, &separate_ops), separate, what + ", direct separate");
    // The fused kernels ran (layer 1's q, k, v do not fuse: its v is Q6_K), the separate ones not.
    EXPECT_NE(fused_ops.find("gate_up+swiglu"), nullptr);
    EXPECT_NE(fused_ops.find("rope+store_kv"), nullptr);
    EXPECT_EQ(fused_ops.find("swiglu"), nullptr);
    EXPECT_EQ(fused_ops.find("rope"), nullptr);
    EXPECT_NE(separate_ops.find("swiglu"), nullptr);
    EXPECT_EQ(separate_ops.find("gate_up+swiglu"), nullptr);
  }
}

}  // namespace
}  // namespace nt::cuda::test
