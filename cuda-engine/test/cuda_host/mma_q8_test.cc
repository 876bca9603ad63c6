// The tensor-core GEMM's activation quantizer (cuda/quant/mma_q8.h), on the CPU: it must round
// exactly like the CPU backend's reference Q8_1 quantizer (ggml's quantize_row_q8_1_ref), keep d
// in float, and sum its quants per 16 values.
#include <gtest/gtest.h>

#include <cmath>
#include <random>
#include <vector>

#include "cpu/quant/quants.h"
#include "cpu/quant_test_rows.h"
#include "cuda/quant/mma_q8.h"
#include "quant/half.h"

namespace nt::cuda::mma {
namespace {

TEST(MmaQ8, RoundsHalvesAwayFromZeroWithAFloatScale) {
  float x[32] = {};
  x[0] = 127.0f;  // d = 1: x * (1 / d) needs no rounding before roundf
  x[1] = 2.5f;
  x[2] = -2.5f;
  x[3] = 3.5f;
  x[4] = 0.4f;
  x[5] = -0.6f;
  x[6] = -127.0f;
  x[20] = 7.0f;
  int8_t q[32];
  float d;
  int32_t sums[2];
  quantize_block32(x, q, d, sums);
  EXPECT_EQ(d, 1.0f);
  const int expected[7] = {127, 3, -3, 4, 0, -1, -127};
  for (int j = 0; j < 7; ++j) EXPECT_EQ(q[j], expected[j]) << j;
  EXPECT_EQ(q[20], 7);
  EXPECT_EQ(sums[0], 127 + 3 - 3 + 4 + 0 - 1 - 127);
  EXPECT_EQ(sums[1], 7);
}

TEST(MmaQ8, AllZerosGiveZeros) {
  const float x[32] = {};
  int8_t q[32];
  float d = -1.0f;
  int32_t sums[2] = {5, 5};
  quantize_block32(x, q, d, sums);
  EXPECT_EQ(d, 0.0f);
  for (int j = 0; j < 32; ++j) EXPECT_EQ(q[j], 0);
  EXPECT_EQ(sums[0], 0);
  EXPECT_EQ(sums[1], 0);
}

// On hidden-state-like rows (outliers included): the same quants as quantize_row_q8_1, the f16 of
// our d is its d, and each value is within d / 2 of q * d.
TEST(MmaQ8, MatchesTheCpuReferenceQuantizer) {
  std::mt19937 rng(1408);
  const int64_t n = 4096;
  for (int trial = 0; trial < 8; ++trial) {
    std::vector<float> x = cpu::test::random_activations(n, rng);
    std::vector<nt::quant::BlockQ8_1> ref(n / 32);
    cpu::quant::quantize_row_q8_1(x.data(), reinterpret_cast<uint8_t*>(ref.data()), n);
    for (int64_t b = 0; b < n / 32; ++b) {
      int8_t q[32];
      float d;
      int32_t sums[2];
      quantize_block32(x.data() + 32 * b, q, d, sums);
      EXPECT_EQ(nt::quant::fp32_to_fp16(d), ref[b].d) << "block " << b;
      int32_t s[2] = {0, 0};
      for (int j = 0; j < 32; ++j) {
        ASSERT_EQ(q[j], ref[b].qs[j]) << "block " << b << " value " << j;
        s[j / 16] += q[j];
        EXPECT_LE(std::fabs(x[32 * b + j] - q[j] * d), d * 0.5f * (1.0f + 1e-6f)) << "block " << b << " value " << j;
      }
      EXPECT_EQ(sums[0], s[0]);
      EXPECT_EQ(sums[1], s[1]);
    }
  }
}

// One step of the float arithmetic, on numbers whose products are exact: 32-value groups take
// ws * sumi + wb * (sx0 + sx1), 16-value groups a term per half, all times dx onto acc.
TEST(MmaQ8, CombineStepAppliesScalesOffsetsAndTheActivationScale) {
  const int32_t sumi[2] = {100, -40}, sx[2] = {6, -2};
  const float ws[2] = {0.5f, 0.25f}, wb[2] = {-1.0f, 2.0f};
  EXPECT_EQ((combine_step<32, false>(1.0f, 2.0f, sumi, ws, wb, sx)), 1.0f + 2.0f * (0.5f * 100));
  EXPECT_EQ((combine_step<32, true>(1.0f, 2.0f, sumi, ws, wb, sx)), 1.0f + 2.0f * (0.5f * 100 - 1.0f * 4));
  EXPECT_EQ((combine_step<16, false>(0.0f, 2.0f, sumi, ws, wb, sx)), 2.0f * (0.5f * 100 + 0.25f * -40));
  EXPECT_EQ((combine_step<16, true>(0.0f, 2.0f, sumi, ws, wb, sx)), 2.0f * ((0.5f * 100 - 6.0f) + (0.25f * -40 - 4.0f)));
}

// The packed factors carry the same values in the order combine_factors reads them.
TEST(MmaQ8, StepFactorsHoldScalesOffsetsAndSums) {
  const int32_t sx[2] = {6, -2};
  const float ws[2] = {0.5f, 0.25f}, wb[2] = {-1.0f, 2.0f};
  const RowFactors<16, true> r = row_factors<16, true>(ws, wb);
  EXPECT_EQ(r.v[0], 0.5f);
  EXPECT_EQ(r.v[1], 0.25f);
  EXPECT_EQ(r.v[2], -1.0f);
  EXPECT_EQ(r.v[3], 2.0f);
  const TokenFactors<16, true> t16 = token_factors<16, true>(3.0f, sx);
  EXPECT_EQ(t16.v[0], 3.0f);
  EXPECT_EQ(t16.v[1], 6.0f);
  EXPECT_EQ(t16.v[2], -2.0f);
  const TokenFactors<32, true> t32 = token_factors<32, true>(3.0f, sx);
  EXPECT_EQ(t32.v[0], 3.0f);
  EXPECT_EQ(t32.v[1], 4.0f);
}

// An accumulator started at kSumBias turns into its sum exactly for every sum a 32-value step can
// have (|sum| <= 32 x 128 x 127, Q8_0's -128 times -127) and as far as 2^22 each way, and not beyond:
// the float's spacing doubles there.
TEST(MmaQ8, BiasedSumsTurnIntoTheirFloatsExactly) {
  for (int32_t s = -(1 << 22); s <= (1 << 22); ++s) {
    ASSERT_EQ(biased_sum_to_float(kSumBias + s), static_cast<float>(s)) << s;
  }
  EXPECT_NE(biased_sum_to_float(kSumBias + (1 << 22) + 1), static_cast<float>((1 << 22) + 1));
}

}  // namespace
}  // namespace nt::cuda::mma
