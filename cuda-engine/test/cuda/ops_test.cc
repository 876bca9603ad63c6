// The GPU's small ops against src/cpu/ops: RMSNorm, RoPE (both pairings, Llama 3.1 frequency
// factors), SwiGLU, biases, the KV store and the row gather.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <random>
#include <vector>

#include "cpu/ops/rms_norm.h"
#include "cpu/ops/rope.h"
#include "cpu/ops/swiglu.h"
#include "cuda/cuda_test_device.h"
#include "cuda/kernels/ops.h"
#include "cpu/quant/type_table.h"
#include "cpu/simd.h"
#include "quant/half.h"

namespace nt::cuda::test {
namespace {

std::vector<float> normal_floats(size_t n, std::mt19937& rng, float scale = 1.0f) {
  std::normal_distribution<float> normal(0.0f, scale);
  std::vector<float> v(n);
  for (float& f : v) f = normal(rng);
  return v;
}

TEST(CudaOps, RmsNormMatchesTheCpu) {
  NT_SKIP_WITHOUT_CUDA();
  std::mt19937 rng(1);
  const int64_t n_tokens = 5, n = 4096 + 64;
  const std::vector<float> x = normal_floats(n_tokens * n, rng, 3.0f), weight = normal_floats(n, rng);
  std::vector<float> expected(x.size());
  ops::rms_norm(x.data(), weight.data(), n_tokens, n, 1e-5f, expected.data());
  const DeviceBuffer<float> xd = to_device(x), wd = to_device(weight);
  DeviceBuffer<float> out(x.size(), "out");
  rms_norm(xd.get(), wd.get(), n_tokens, n, 1e-5f, out.get(), test_stream());
  const std::vector<float> got = to_host(out.get(), x.size());
  // The double sum adds in another order; the scale may then differ in its last bit.
  for (size_t i = 0; i < x.size(); ++i) ASSERT_NEAR(got[i], expected[i], 2e-6f * std::fabs(expected[i]) + 1e-30f) << i;
}

void check_rope(RopeMode mode, bool freq_factors, int32_t rope_dim) {
  std::mt19937 rng(2);
  const int32_t n_head = 6, n_head_kv = 2, head_dim = 64;
  const std::vector<int32_t> positions = {0, 1, 17, 513, 4095};
  const int64_t n_tokens = static_cast<int64_t>(positions.size());
  const std::vector<float> factors = [&] {
    std::vector<float> f(rope_dim / 2);
    for (size_t i = 0; i < f.size(); ++i) f[i] = 1.0f + static_cast<float>(i % 7);
    return f;
  }();
  RopeParams p;
  p.head_dim = head_dim;
  p.rope_dim = rope_dim;
  p.theta_base = 500000.0f;
  p.freq_scale = 0.5f;
  p.freq_factors = freq_factors ? factors.data() : nullptr;
  p.mode = mode;

  std::vector<float> q = normal_floats(n_tokens * n_head * head_dim, rng);
  std::vector<float> k = normal_floats(n_tokens * n_head_kv * head_dim, rng);
  const DeviceBuffer<float> qd = to_device(q), kd = to_device(k);
  std::vector<float> tables;
  RopeTable table;
  for (int64_t t = 0; t < n_tokens; ++t) {
    rope_table(positions[t], p, table);
    tables.insert(tables.end(), table.cos.begin(), table.cos.end());
    tables.insert(tables.end(), table.sin.begin(), table.sin.end());
    ops::rope(q.data() + t * n_head * head_dim, n_head, table, p);
    ops::rope(k.data() + t * n_head_kv * head_dim, n_head_kv, table, p);
  }
  const DeviceBuffer<float> td = to_device(tables);
  rope(qd.get(), kd.get(), td.get(), n_tokens, RopeShape{n_head, n_head_kv, head_dim, rope_dim, mode}, test_stream());
  // Same tables, same roundings: bit-identical.
  EXPECT_EQ(to_host(qd.get(), q.size()), q);
  EXPECT_EQ(to_host(kd.get(), k.size()), k);
}

TEST(CudaOps, RopeMatchesTheCpuBitForBitInBothPairings) {
  NT_SKIP_WITHOUT_CUDA();
  check_rope(RopeMode::Adjacent, false, 64);
  check_rope(RopeMode::HalfSplit, false, 64);
  check_rope(RopeMode::Adjacent, true, 64);
  check_rope(RopeMode::HalfSplit, true, 64);
  check_rope(RopeMode::Adjacent, false, 32);  // partial rotation: the rest of each head passes
  check_rope(RopeMode::HalfSplit, true, 32);
}

TEST(CudaOps, SwigluMatchesTheCpu) {
  NT_SKIP_WITHOUT_CUDA();
  std::mt19937 rng(3);
  const size_t n = 100003;
  std::vector<float> gate = normal_floats(n, rng, 4.0f);
  const std::vector<float> up = normal_floats(n, rng);
  const DeviceBuffer<float> gd = to_device(gate), ud = to_device(up);
  ops::swiglu(gate.data(), up.data(), static_cast<int64_t>(n));
  swiglu(gd.get(), ud.get(), static_cast<int64_t>(n), test_stream());
  const std::vector<float> got = to_host(gd.get(), n);
  // expf and std::exp may differ in the last bit.
  for (size_t i = 0; i < n; ++i) ASSERT_NEAR(got[i], gate[i], 4e-7f * std::fabs(gate[i]) + 1e-30f) << i;
}

TEST(CudaOps, AddsBiasesAndGathersRows) {
  NT_SKIP_WITHOUT_CUDA();
  std::mt19937 rng(4);
  const int64_t rows = 7, n = 96;
  const std::vector<float> x = normal_floats(rows * n, rng), bias = normal_floats(n, rng);
  DeviceBuffer<float> xd = to_device(x);
  const DeviceBuffer<float> bd = to_device(bias);
  add_bias(xd.get(), bd.get(), rows, n, test_stream());
  const std::vector<int32_t> index = {1, 4, 6};
  const DeviceBuffer<int32_t> id = to_device(index);
  DeviceBuffer<float> gathered(index.size() * n, "gathered");
  gather_rows(gathered.get(), xd.get(), id.get(), static_cast<int64_t>(index.size()), n, test_stream());
  const std::vector<float> got = to_host(gathered.get(), index.size() * n);
  for (size_t i = 0; i < index.size(); ++i) {
    for (int64_t j = 0; j < n; ++j) {
      const int64_t src = index[i] * n + j;
      EXPECT_EQ(got[i * n + j], x[src] + bias[j]);
    }
  }
}

TEST(CudaOps, StoresEachTokensKeysAndValuesAtItsPositionThroughItsBlockTable) {
  NT_SKIP_WITHOUT_CUDA();
  std::mt19937 rng(5);
  const int32_t n_layer = 2, n_blocks = 4, kv_dim = 40, width = 2;
  const int64_t layer_stride = int64_t{kKvBlockPositions} * kv_dim, block_stride = layer_stride * n_layer;
  constexpr int64_t f = sizeof(float);  // the layout counts bytes
  DeviceBuffer<float> cache_k(n_blocks * block_stride, "cache");
  DeviceBuffer<float> cache_v(n_blocks * block_stride, "cache");
  CUDA_CHECK(cudaMemset(cache_k.get(), 0, cache_k.size() * sizeof(float)));
  CUDA_CHECK(cudaMemset(cache_v.get(), 0, cache_v.size() * sizeof(float)));
  // Two sequences: the first holds blocks 2 and 0, the second block 3.
  const std::vector<int32_t> tables = {2, 0, 3, -1};
  const DeviceBuffer<int32_t> tables_d = to_device(tables);
  uint8_t* k_bytes = reinterpret_cast<uint8_t*>(cache_k.get());
  uint8_t* v_bytes = reinterpret_cast<uint8_t*>(cache_v.get());
  const KvLayout kv{k_bytes, v_bytes, tables_d.get(),
                    block_stride * f, layer_stride * f, kv_dim * f, width, KvElement::F32};
  const int32_t positions[3] = {3, kKvBlockPositions + 4, 9};
  const int32_t rows[3] = {0, 0, 1};
  std::vector<TokenCache> tokens(3);
  for (int t = 0; t < 3; ++t) tokens[t] = TokenCache{rows[t], positions[t]};
  const std::vector<float> k = normal_floats(3 * kv_dim, rng), v = normal_floats(3 * kv_dim, rng);
  const DeviceBuffer<float> kd = to_device(k), vd = to_device(v);
  const DeviceBuffer<TokenCache> td = to_device(tokens);
  store_kv(kd.get(), vd.get(), td.get(), kv, 3, 1, kv_dim, test_stream());
  const std::vector<float> got_k = to_host(cache_k.get(), cache_k.size());
  const std::vector<float> got_v = to_host(cache_v.get(), cache_v.size());
  for (int t = 0; t < 3; ++t) {
    const int32_t block = tables[rows[t] * width + positions[t] / kKvBlockPositions];
    const int64_t at = block * block_stride + layer_stride + int64_t{positions[t] % kKvBlockPositions} * kv_dim;
    for (int i = 0; i < kv_dim; ++i) {
      EXPECT_EQ(got_k[at + i], k[t * kv_dim + i]);
      EXPECT_EQ(got_v[at + i], v[t * kv_dim + i]);
    }
  }
}

TEST(CudaOps, StoresKeysAndValuesIntoAnF16CacheRoundedAsTheCpuRounds) {
  NT_SKIP_WITHOUT_CUDA();
  std::mt19937 rng(6);
  const int32_t n_layer = 1, kv_dim = 40;
  const int64_t row_bytes = kv_dim * 2, block_stride = int64_t{kKvBlockPositions} * row_bytes * n_layer;
  DeviceBuffer<uint16_t> cache_k(2 * block_stride / 2, "cache"), cache_v(2 * block_stride / 2, "cache");
  CUDA_CHECK(cudaMemset(cache_k.get(), 0, cache_k.size() * 2));
  CUDA_CHECK(cudaMemset(cache_v.get(), 0, cache_v.size() * 2));
  const std::vector<int32_t> tables = {1, 0};  // one sequence: positions 0..15 in block 1, 16..31 in block 0
  const DeviceBuffer<int32_t> tables_d = to_device(tables);
  uint8_t* k_bytes = reinterpret_cast<uint8_t*>(cache_k.get());
  uint8_t* v_bytes = reinterpret_cast<uint8_t*>(cache_v.get());
  const KvLayout kv{k_bytes, v_bytes, tables_d.get(),
                    block_stride, block_stride / n_layer, row_bytes, 2, KvElement::F16};
  const std::vector<TokenCache> tokens = {{0, 5}, {0, kKvBlockPositions + 2}};
  const std::vector<float> k = normal_floats(2 * kv_dim, rng), v = normal_floats(2 * kv_dim, rng);
  const DeviceBuffer<float> kd = to_device(k), vd = to_device(v);
  const DeviceBuffer<TokenCache> td = to_device(tokens);
  store_kv(kd.get(), vd.get(), td.get(), kv, 2, 0, kv_dim, test_stream());
  const std::vector<uint16_t> got_k = to_host(cache_k.get(), cache_k.size());
  const std::vector<uint16_t> got_v = to_host(cache_v.get(), cache_v.size());
  for (int t = 0; t < 2; ++t) {
    const int32_t pos = tokens[t].pos;
    const int64_t at = (tables[pos / kKvBlockPositions] * block_stride + (pos % kKvBlockPositions) * row_bytes) / 2;
    for (int i = 0; i < kv_dim; ++i) {
      EXPECT_EQ(got_k[at + i], quant::fp32_to_fp16(k[t * kv_dim + i]));
      EXPECT_EQ(got_v[at + i], quant::fp32_to_fp16(v[t * kv_dim + i]));
    }
  }
}

TEST(CudaOps, StoresKeysAndValuesIntoAQ8_0CacheQuantizedAsTheCpuQuantizes) {
  NT_SKIP_WITHOUT_CUDA();
  std::mt19937 rng(7);
  const int32_t kv_dim = 96;  // three blocks of 32
  const int64_t row_bytes = kv_dim / 32 * 34, block_stride = int64_t{kKvBlockPositions} * row_bytes;
  DeviceBuffer<uint8_t> cache_k(block_stride, "cache"), cache_v(block_stride, "cache");
  const std::vector<int32_t> tables = {0};
  const DeviceBuffer<int32_t> tables_d = to_device(tables);
  const KvLayout kv{cache_k.get(), cache_v.get(), tables_d.get(), block_stride, block_stride, row_bytes, 1,
                    KvElement::Q8_0};
  const std::vector<TokenCache> tokens = {{0, 3}, {0, 11}};
  std::vector<float> k = normal_floats(2 * kv_dim, rng), v = normal_floats(2 * kv_dim, rng);
  for (int i = 0; i < 32; ++i) k[static_cast<size_t>(32 + i)] = 0.0f;  // an all-zero block: scale 0
  const DeviceBuffer<float> kd = to_device(k), vd = to_device(v);
  const DeviceBuffer<TokenCache> td = to_device(tokens);
  store_kv(kd.get(), vd.get(), td.get(), kv, 2, 0, kv_dim, test_stream());
  const std::vector<uint8_t> got_k = to_host(cache_k.get(), cache_k.size());
  const std::vector<uint8_t> got_v = to_host(cache_v.get(), cache_v.size());
  const auto* kernels = cpu::quant::type_kernels(static_cast<uint32_t>(GgmlType::Q8_0), cpu::simd_level());
  std::vector<uint8_t> expected(static_cast<size_t>(row_bytes));
  for (int t = 0; t < 2; ++t) {
    const size_t at = static_cast<size_t>(tokens[t].pos * row_bytes);
    kernels->quantize_activation(k.data() + t * kv_dim, expected.data(), kv_dim);
    EXPECT_TRUE(std::equal(expected.begin(), expected.end(), got_k.begin() + at)) << "keys of token " << t;
    kernels->quantize_activation(v.data() + t * kv_dim, expected.data(), kv_dim);
    EXPECT_TRUE(std::equal(expected.begin(), expected.end(), got_v.begin() + at)) << "values of token " << t;
  }
}

}  // namespace
}  // namespace nt::cuda::test
