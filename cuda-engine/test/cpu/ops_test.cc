#include <gtest/gtest.h>

#include <cmath>
#include <vector>

#include "cpu/ops/attention.h"
#include "cpu/ops/rms_norm.h"
#include "cpu/ops/rope.h"
#include "cpu/ops/swiglu.h"

namespace nt::ops {

TEST(Ops, RmsNormScalesToUnitRootMeanSquareThenByTheWeight) {
  const std::vector<float> x = {1, 2, 3, 4, -2, 0, 2, 0};
  const std::vector<float> w = {1, 1, 2, 0.5f};
  std::vector<float> out(8);
  rms_norm(x.data(), w.data(), 2, 4, 0.0f, out.data());
  const float s0 = 1.0f / std::sqrt(30.0f / 4), s1 = 1.0f / std::sqrt(8.0f / 4);
  EXPECT_FLOAT_EQ(out[0], 1 * s0);
  EXPECT_FLOAT_EQ(out[2], 3 * s0 * 2);
  EXPECT_FLOAT_EQ(out[3], 4 * s0 * 0.5f);
  EXPECT_FLOAT_EQ(out[4], -2 * s1);
  EXPECT_FLOAT_EQ(out[6], 2 * s1 * 2);
}

TEST(Ops, RopeAtPositionZeroIsTheIdentity) {
  std::vector<float> x = {1, 2, 3, 4, 5, 6, 7, 8};
  const std::vector<float> before = x;
  RopeParams p;
  p.head_dim = 4;
  p.rope_dim = 4;
  RopeTable t;
  rope_table(0, p, t);
  rope(x.data(), 2, t, p);
  EXPECT_EQ(x, before);
}

TEST(Ops, RopeRotatesAdjacentPairsForLlamaAndHalvesForNeox) {
  RopeParams p;
  p.head_dim = 4;
  p.rope_dim = 4;
  p.theta_base = 10000.0f;
  const float a0 = 3.0f, a1 = 3.0f * std::pow(10000.0f, -0.5f);  // pos 3, pairs 0 and 1
  std::vector<float> x = {1, 0, 1, 0};
  RopeTable t;
  rope_table(3, p, t);
  rope(x.data(), 1, t, p);
  EXPECT_NEAR(x[0], std::cos(a0), 1e-6);
  EXPECT_NEAR(x[1], std::sin(a0), 1e-6);
  EXPECT_NEAR(x[2], std::cos(a1), 1e-6);
  EXPECT_NEAR(x[3], std::sin(a1), 1e-6);
  p.mode = RopeMode::HalfSplit;  // pairs (0, 2) and (1, 3)
  std::vector<float> y = {1, 1, 0, 0};
  rope_table(3, p, t);
  rope(y.data(), 1, t, p);
  EXPECT_NEAR(y[0], std::cos(a0), 1e-6);
  EXPECT_NEAR(y[2], std::sin(a0), 1e-6);
  EXPECT_NEAR(y[1], std::cos(a1), 1e-6);
  EXPECT_NEAR(y[3], std::sin(a1), 1e-6);
}

TEST(Ops, RopeDividesAnglesByFrequencyFactorsAndLeavesDimensionsBeyondRopeDim) {
  RopeParams p;
  p.head_dim = 4;
  p.rope_dim = 2;
  const float factors[] = {4.0f};
  p.freq_factors = factors;
  std::vector<float> x = {1, 0, 5, 6};
  RopeTable t;
  rope_table(2, p, t);
  rope(x.data(), 1, t, p);
  EXPECT_NEAR(x[0], std::cos(0.5f), 1e-6);
  EXPECT_NEAR(x[1], std::sin(0.5f), 1e-6);
  EXPECT_EQ(x[2], 5);
  EXPECT_EQ(x[3], 6);
}

// F32 rows of a float array as PagedRows (strides in floats here, in bytes there).
PagedRows f32_rows(const float* base, const int32_t* blocks, int64_t block_floats, int64_t row_floats, int32_t rows) {
  return {reinterpret_cast<const uint8_t*>(base), blocks, block_floats * 4, row_floats * 4, rows};
}

TEST(Ops, AttentionWeighsValuesBySoftmaxOfScaledScores) {
  // head_dim 2, three cached positions; q·k = 0, 2, 4 → scaled by 1/sqrt(2).
  const std::vector<float> q = {1, 1};
  const std::vector<float> k = {0, 0, 1, 1, 2, 2};
  const std::vector<float> v = {1, 0, 0, 1, 1, 1};
  std::vector<float> scratch(3), out(2);
  const int32_t block0 = 0;
  const PagedRows k_rows = f32_rows(k.data(), &block0, 0, 2, 3), v_rows = f32_rows(v.data(), &block0, 0, 2, 3);
  attention_head(q.data(), k_rows, v_rows, 3, 2, scratch.data(), out.data());
  const double s = 1 / std::sqrt(2.0);
  const double e0 = 1, e1 = std::exp(2 * s), e2 = std::exp(4 * s), z = e0 + e1 + e2;
  EXPECT_NEAR(out[0], (e0 + e2) / z, 1e-6);
  EXPECT_NEAR(out[1], (e1 + e2) / z, 1e-6);
  // Causality is n_past: with one position the output is exactly the first value.
  attention_head(q.data(), k_rows, v_rows, 1, 2, scratch.data(), out.data());
  EXPECT_EQ(out[0], 1);
  EXPECT_EQ(out[1], 0);
}

TEST(Ops, AttentionReadsPagedRowsThroughTheBlockTable) {
  // Five positions in blocks of two rows, scattered over a pool of four blocks in the order 3, 0, 2;
  // rows are 3 floats apart (another head's dimension sits between), blocks 7 floats apart.
  const int32_t n_past = 5, head_dim = 2;
  const std::vector<float> q = {0.5f, -1.0f};
  const std::vector<float> k = {0.1f, 0.7f, 0.3f, -0.4f, 1.2f};  // keys: (k[j], -k[j]); values (j, 1 - j)
  const std::vector<int32_t> blocks = {3, 0, 2};
  std::vector<float> pool_k(4 * 7, NAN), pool_v(4 * 7, NAN), flat_k, flat_v;
  for (int32_t j = 0; j < n_past; ++j) {
    const int64_t at = blocks[j / 2] * 7 + (j % 2) * 3;
    pool_k[at] = k[j];
    pool_k[at + 1] = -k[j];
    pool_v[at] = static_cast<float>(j);
    pool_v[at + 1] = 1.0f - static_cast<float>(j);
    flat_k.insert(flat_k.end(), {k[j], -k[j]});
    flat_v.insert(flat_v.end(), {static_cast<float>(j), 1.0f - static_cast<float>(j)});
  }
  const int32_t block0 = 0;
  std::vector<float> scratch(n_past), paged(head_dim), flat(head_dim);
  const PagedRows pool_k_rows = f32_rows(pool_k.data(), blocks.data(), 7, 3, 2);
  const PagedRows pool_v_rows = f32_rows(pool_v.data(), blocks.data(), 7, 3, 2);
  attention_head(q.data(), pool_k_rows, pool_v_rows, n_past, head_dim, scratch.data(), paged.data());
  const PagedRows flat_k_rows = f32_rows(flat_k.data(), &block0, 0, 2, n_past);
  const PagedRows flat_v_rows = f32_rows(flat_v.data(), &block0, 0, 2, n_past);
  attention_head(q.data(), flat_k_rows, flat_v_rows, n_past, head_dim, scratch.data(), flat.data());
  EXPECT_EQ(paged, flat);  // the same rows in the same order: the same floats
  EXPECT_FALSE(std::isnan(paged[0]));
}

TEST(Ops, SwigluIsSiluOfGateTimesUp) {
  std::vector<float> gate = {0, 1, -2};
  const std::vector<float> up = {5, 2, 3};
  swiglu(gate.data(), up.data(), 3);
  EXPECT_EQ(gate[0], 0);
  EXPECT_NEAR(gate[1], 2 * (1 / (1 + std::exp(-1.0))), 1e-6);
  EXPECT_NEAR(gate[2], 3 * (-2 / (1 + std::exp(2.0))), 1e-6);
}

}  // namespace nt::ops
