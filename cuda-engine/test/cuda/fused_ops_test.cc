// The fused decode kernels (cuda/kernels/fused_matvec.h, rope_store_kv) against the separate
// kernels they replace, bit for bit: they add every row in the same order, so any difference is a
// bug. Odd shapes (rows not a multiple of a CTA's, each of matvec_blocks_kernel's thread choices),
// 1..8 tokens, every format with a block matrix-vector kernel, every KV element type; and the
// cases that must not fuse (mixed types, the 8-bit kernel's products, F16 weights).
#include <gtest/gtest.h>

#include <cstring>
#include <random>
#include <string>
#include <vector>

#include "core/engine_error.h"
#include "cpu/quant_test_rows.h"
#include "cuda/cuda_test_device.h"
#include "cuda/kernels/fused_matvec.h"
#include "cuda/kernels/matmul.h"
#include "cuda/kernels/ops.h"
#include "cuda/matmul_choice.h"
#include "gguf/ggml_type.h"

namespace nt::cuda::test {
namespace {

const std::vector<GgmlType> kBlockTypes = {GgmlType::Q4_0, GgmlType::Q4_1, GgmlType::Q5_0, GgmlType::Q5_1,
                                           GgmlType::Q8_0, GgmlType::Q2_K, GgmlType::Q3_K, GgmlType::Q4_K,
                                           GgmlType::Q5_K, GgmlType::Q6_K};

// A matrix of random valid blocks in device memory.
struct DeviceMatrix {
  DeviceBuffer<uint8_t> bytes;
  TensorView view;
};

DeviceMatrix random_matrix(GgmlType type, int64_t rows, int64_t n, std::mt19937& rng) {
  std::vector<uint8_t> bytes;
  for (int64_t r = 0; r < rows; ++r) {
    const std::vector<uint8_t> row = cpu::test::random_weight_row(type, n, rng);
    bytes.insert(bytes.end(), row.begin(), row.end());
  }
  DeviceBuffer<uint8_t> d = to_device(bytes);
  const TensorView view = device_view(type, d.get(), rows, n);
  return DeviceMatrix{std::move(d), view};
}

using cpu::test::random_tokens;

// Bit for bit (NaN-safe, and -0 is not 0).
void expect_same_bits(const std::vector<float>& got, const std::vector<float>& expected, const std::string& what) {
  ASSERT_EQ(got.size(), expected.size()) << what;
  for (size_t i = 0; i < got.size(); ++i) {
    uint32_t a, b;
    std::memcpy(&a, &got[i], 4);
    std::memcpy(&b, &expected[i], 4);
    ASSERT_EQ(a, b) << what << ", element " << i << ": fused " << got[i] << ", separate " << expected[i];
  }
}

std::string name(GgmlType type) { return ggml_type_name(static_cast<uint32_t>(type)); }

// Rows of each of matvec_blocks_kernel's choices (matvec.cuh's with_blocks_shape): below 2048
// (2 rows, 128 threads), from 2048 (one token of a K-quant: 4 rows, 64 threads), from 8192 (one
// or two tokens: 4 rows, 128 threads); none a multiple of 4. K is 9 super-blocks (72 legacy
// blocks): more than a CTA's slots of 64 threads, fewer than those of 128.
TEST(CudaFusedOps, GateUpAndSwigluInOneKernelGiveTheSeparateKernelsBits) {
  NT_SKIP_WITHOUT_CUDA();
  const ScopedMatmulChoice fp32("fp32");  // every quantized product of up to 8 tokens on the float kernel
  std::mt19937 rng(11);
  const int64_t n = 2304;
  for (const GgmlType type : kBlockTypes) {
    for (const int64_t rows : {int64_t{1}, int64_t{37}, int64_t{2049}, int64_t{8195}}) {
      const DeviceMatrix gate = random_matrix(type, rows, n, rng), up = random_matrix(type, rows, n, rng);
      for (int64_t n_tokens = 1; n_tokens <= 8; ++n_tokens) {
        const std::string what = name(type) + " " + std::to_string(rows) + " rows, " + std::to_string(n_tokens) +
                                 " tokens";
        ASSERT_TRUE(fuses_swiglu(gate.view, up.view, n_tokens)) << what;
        const DeviceBuffer<float> x = to_device(random_tokens(n, n_tokens, rng));
        DeviceBuffer<float> g(n_tokens * rows, "gate"), u(n_tokens * rows, "up"), fused(n_tokens * rows, "fused");
        matmul(gate.view, x.get(), n_tokens, g.get(), test_stream());
        matmul(up.view, x.get(), n_tokens, u.get(), test_stream());
        swiglu(g.get(), u.get(), n_tokens * rows, test_stream());
        matmul_swiglu(gate.view, up.view, x.get(), n_tokens, fused.get(), test_stream());
        expect_same_bits(to_host(fused.get(), fused.size()), to_host(g.get(), g.size()), what);
      }
    }
  }
}

// q's and kv's rows in each pairing of the thread choices for one token of a K-quant (64 and 64,
// 64 and 128, 128 and 64, 128 and 128); the legacy formats and more tokens take 128 throughout.
TEST(CudaFusedOps, QKAndVInOneKernelGiveTheThreeProductsBits) {
  NT_SKIP_WITHOUT_CUDA();
  const ScopedMatmulChoice fp32("fp32");
  std::mt19937 rng(12);
  const int64_t n = 2304;
  const std::pair<int64_t, int64_t> shapes[] = {{2053, 2049}, {2053, 1031}, {37, 2049}, {37, 5}};
  for (const GgmlType type : kBlockTypes) {
    for (const auto& [q_rows, kv_rows] : shapes) {
      const DeviceMatrix wq = random_matrix(type, q_rows, n, rng), wk = random_matrix(type, kv_rows, n, rng),
                         wv = random_matrix(type, kv_rows, n, rng);
      for (int64_t n_tokens = 1; n_tokens <= 8; ++n_tokens) {
        const std::string what = name(type) + " q " + std::to_string(q_rows) + " kv " + std::to_string(kv_rows) +
                                 " rows, " + std::to_string(n_tokens) + " tokens";
        ASSERT_TRUE(fuses_qkv(wq.view, wk.view, wv.view, n_tokens)) << what;
        const DeviceBuffer<float> x = to_device(random_tokens(n, n_tokens, rng));
        DeviceBuffer<float> q(n_tokens * q_rows, "q"), k(n_tokens * kv_rows, "k"), v(n_tokens * kv_rows, "v");
        DeviceBuffer<float> fq(q.size(), "q"), fk(k.size(), "k"), fv(v.size(), "v");
        matmul(wq.view, x.get(), n_tokens, q.get(), test_stream());
        matmul(wk.view, x.get(), n_tokens, k.get(), test_stream());
        matmul(wv.view, x.get(), n_tokens, v.get(), test_stream());
        matmul_qkv(wq.view, wk.view, wv.view, x.get(), n_tokens, fq.get(), fk.get(), fv.get(), test_stream());
        expect_same_bits(to_host(fq.get(), fq.size()), to_host(q.get(), q.size()), what + ", q");
        expect_same_bits(to_host(fk.get(), fk.size()), to_host(k.get(), k.size()), what + ", k");
        expect_same_bits(to_host(fv.get(), fv.size()), to_host(v.get(), v.size()), what + ", v");
      }
    }
  }
}

// What the fused products refuse (the backend then runs the separate kernels): a type pairing the
// separate products would not share, weights without a block kernel, more than 8 tokens, and the
// products that NT_MATMUL=int8 (or the default's size table) gives to the 8-bit kernel.
TEST(CudaFusedOps, FusesOnlyWhereEveryProductWouldTakeTheBlockKernel) {
  NT_SKIP_WITHOUT_CUDA();
  std::mt19937 rng(13);
  const int64_t n = 512;
  const DeviceMatrix q4 = random_matrix(GgmlType::Q4_K, 64, n, rng), q6 = random_matrix(GgmlType::Q6_K, 64, n, rng);
  const DeviceMatrix f16 = random_matrix(GgmlType::F16, 64, n, rng);
  const DeviceMatrix q4_rows = random_matrix(GgmlType::Q4_K, 96, n, rng);
  {
    const ScopedMatmulChoice fp32("fp32");
    EXPECT_TRUE(fuses_swiglu(q4.view, q4.view, 1));
    EXPECT_TRUE(fuses_qkv(q4.view, q4.view, q4.view, 8));
    EXPECT_FALSE(fuses_swiglu(q4.view, q6.view, 1));
    EXPECT_FALSE(fuses_swiglu(q4.view, q4_rows.view, 1));
    EXPECT_FALSE(fuses_qkv(q4.view, q4.view, q6.view, 1));  // a Q4_K_M layer's Q6_K v
    EXPECT_FALSE(fuses_qkv(q4_rows.view, q4.view, q4_rows.view, 1));
    EXPECT_TRUE(fuses_qkv(q4_rows.view, q4.view, q4.view, 1));  // q may have other rows than k and v
    EXPECT_FALSE(fuses_swiglu(f16.view, f16.view, 1));
    EXPECT_FALSE(fuses_swiglu(q4.view, q4.view, 9));
    EXPECT_FALSE(fuses_swiglu(q4.view, q4.view, 0));
  }
  const ScopedMatmulChoice int8("int8");
  EXPECT_FALSE(fuses_swiglu(q4.view, q4.view, 1));
  EXPECT_FALSE(fuses_qkv(q4.view, q4.view, q4.view, 1));
  DeviceBuffer<float> x(n, "x"), out(64, "out");
  try {
    matmul_swiglu(q4.view, q4.view, x.get(), 1, out.get(), test_stream());
    FAIL() << "matmul_swiglu ran where the separate products take the 8-bit kernel";
  } catch (const EngineError& e) {
    EXPECT_EQ(e.error_code(), NT_E_INTERNAL);
  }
}

struct KvCase {
  KvElement element;
  int64_t row_bytes(int32_t kv_dim) const {
    return element == KvElement::F32 ? kv_dim * 4 : element == KvElement::F16 ? kv_dim * 2 : kv_dim / 32 * 34;
  }
};

// n_tokens tokens of two sequences (positions spread over two blocks each) through the paged cache
// of `element`: rope then store_kv, against rope_store_kv on copies of the same inputs. q, k and
// both caches' bytes must match.
void check_rope_store_kv(KvElement element, RopeMode mode, int32_t rope_dim, int64_t n_tokens, std::mt19937& rng) {
  const int32_t n_head = 6, n_head_kv = 2, head_dim = 64, n_layer = 2, layer = 1;
  const int32_t kv_dim = n_head_kv * head_dim, width = 2, n_blocks = 4;
  const int64_t row_bytes = KvCase{element}.row_bytes(kv_dim);
  const int64_t layer_stride = int64_t{kKvBlockPositions} * row_bytes, block_stride = layer_stride * n_layer;
  const std::vector<int32_t> tables = {2, 0, 3, 1};  // sequence 0: blocks 2, 0; sequence 1: blocks 3, 1
  std::vector<TokenCache> tokens;
  std::vector<float> cos_sin;
  const int32_t pairs = rope_dim / 2;
  for (int64_t t = 0; t < n_tokens; ++t) {
    // A sequence's positions are distinct (5 is odd): two stores to one row would race.
    const int32_t pos = static_cast<int32_t>((t / 2 * 5 + 1) % (2 * kKvBlockPositions));
    tokens.push_back(TokenCache{static_cast<int32_t>(t % 2), pos});
    for (int32_t i = 0; i < 2 * pairs; ++i) cos_sin.push_back(std::uniform_real_distribution<float>(-1, 1)(rng));
  }
  if (cos_sin.empty()) cos_sin.push_back(0.0f);  // no rotation: a table nobody reads
  std::normal_distribution<float> normal(0.0f, 2.0f);
  std::vector<float> q(n_tokens * n_head * head_dim), k(n_tokens * kv_dim), v(n_tokens * kv_dim);
  for (std::vector<float>* a : {&q, &k, &v}) {
    for (float& f : *a) f = normal(rng);
  }
  const DeviceBuffer<int32_t> tables_d = to_device(tables);
  const DeviceBuffer<TokenCache> tokens_d = to_device(tokens);
  const DeviceBuffer<float> cos_sin_d = to_device(cos_sin), v_d = to_device(v);
  const RopeShape shape{n_head, n_head_kv, head_dim, rope_dim, mode};
  // Two of everything written: [0] the separate kernels', [1] the fused kernel's.
  std::vector<std::vector<uint8_t>> caches;
  std::vector<std::vector<float>> qs, ks;
  for (int fused = 0; fused < 2; ++fused) {
    std::vector<uint8_t> zero(static_cast<size_t>(n_blocks * block_stride), 0);
    DeviceBuffer<uint8_t> cache_k = to_device(zero), cache_v = to_device(zero);
    DeviceBuffer<float> q_d = to_device(q), k_d = to_device(k);
    const KvLayout kv{cache_k.get(), cache_v.get(), tables_d.get(), block_stride, layer_stride, row_bytes, width,
                      element};
    if (fused) {
      rope_store_kv(q_d.get(), k_d.get(), v_d.get(), cos_sin_d.get(), shape, tokens_d.get(), kv, n_tokens, layer,
                    kv_dim, test_stream());
    } else {
      rope(q_d.get(), k_d.get(), cos_sin_d.get(), n_tokens, shape, test_stream());
      store_kv(k_d.get(), v_d.get(), tokens_d.get(), kv, n_tokens, layer, kv_dim, test_stream());
    }
    std::vector<uint8_t> both = to_host(cache_k.get(), zero.size());
    const std::vector<uint8_t> values = to_host(cache_v.get(), zero.size());
    both.insert(both.end(), values.begin(), values.end());
    caches.push_back(both);
    qs.push_back(to_host(q_d.get(), q.size()));
    ks.push_back(to_host(k_d.get(), k.size()));
  }
  const std::string what = "KV element " + std::to_string(static_cast<int>(element)) + ", rope_dim " +
                           std::to_string(rope_dim) + ", " + std::to_string(n_tokens) + " tokens";
  expect_same_bits(qs[1], qs[0], what + ", q");
  expect_same_bits(ks[1], ks[0], what + ", k");
  EXPECT_EQ(caches[1], caches[0]) << what << ", cache bytes";
  EXPECT_NE(caches[0], std::vector<uint8_t>(caches[0].size(), 0)) << what << ": nothing was stored";
}

TEST(CudaFusedOps, RopeAndStoreKvInOneKernelGiveTheSeparateKernelsBitsForEveryKvType) {
  NT_SKIP_WITHOUT_CUDA();
  std::mt19937 rng(14);
  for (const KvElement element : {KvElement::F32, KvElement::F16, KvElement::Q8_0}) {
    for (const int64_t n_tokens : {int64_t{1}, int64_t{2}, int64_t{5}, int64_t{8}, int64_t{33}}) {
      check_rope_store_kv(element, RopeMode::Adjacent, 64, n_tokens, rng);
      check_rope_store_kv(element, RopeMode::HalfSplit, 64, n_tokens, rng);
      check_rope_store_kv(element, RopeMode::Adjacent, 32, n_tokens, rng);  // partial rotation
      check_rope_store_kv(element, RopeMode::HalfSplit, 0, n_tokens, rng);  // no rotation: the store alone
    }
  }
}

}  // namespace
}  // namespace nt::cuda::test
