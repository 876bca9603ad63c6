// The GEMM's fused float step (cuda/quant/mma_q8.h: biased_product, combine_biased), on the CPU:
// one fma of the scale with the biased sum's bits and the offset -(w * 1.5 * 2^23) must give the
// product of the scale with the sum for every scale a weight format can have, so that the fused
// kernels (NT_MMA_FUSED, the default) stay bit for bit the reference's (combine_factors).
#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <cstring>
#include <random>
#include <vector>

#include "cuda/quant/mma_q8.h"
#include "quant/half.h"

namespace nt::cuda::mma {
namespace {

uint32_t bits_of(float f) {
  uint32_t u;
  std::memcpy(&u, &f, sizeof u);
  return u;
}

// Every finite f16 value (the formats' d), as a float.
std::vector<float> finite_halves() {
  std::vector<float> out;
  for (uint32_t h = 0; h < 0x10000; ++h) {
    if (((h >> 10) & 0x1F) != 0x1F) out.push_back(nt::quant::fp16_to_fp32(static_cast<uint16_t>(h)));
  }
  return out;
}

// The integers a format multiplies d by to make a group's scale (mma_unpack.h): 1 for the 32-value
// formats, Q2_K's 4-bit scales, Q3_K's 6-bit scales less 32, Q4_K / Q5_K's 6-bit scales, Q6_K's int8.
struct ScaleRange {
  const char* formats;
  int lo, hi;
};
constexpr ScaleRange kScaleRanges[] = {
    {"Q4_0 Q4_1 Q5_0 Q5_1 Q8_0", 1, 1}, {"Q2_K", 0, 15}, {"Q3_K", -32, 31}, {"Q4_K Q5_K", 0, 63}, {"Q6_K", -128, 127}};

// The condition the fused step needs: w * 1.5 * 2^23 exact in float (then the fma's one rounding is
// the product's), for every scale of every format: at most 11 + 8 significant bits.
TEST(MmaFusedStep, EveryFormatsScaleTimesTheBiasIsExact) {
  const std::vector<float> halves = finite_halves();
  for (const ScaleRange& r : kScaleRanges) {
    for (int k = r.lo; k <= r.hi; ++k) {
      for (const float d : halves) {
        const float w = d * static_cast<float>(k);  // as unpack32 computes it
        ASSERT_EQ(static_cast<double>(biased_sum_offset(w)), -static_cast<double>(w) * 12582912.0)
            << r.formats << ": d " << d << " times " << k;
      }
    }
  }
}

// With that, biased_product equals mul_rn(w, float(s)) for the sums a step can have (|s| <= 32 x
// 128 x 127): every value bit for bit, zero aside, where the fma's exact zero is +0 and the product's
// takes w's sign (combine_biased's caller is checked for that below).
TEST(MmaFusedStep, BiasedProductIsTheScaledSum) {
  std::mt19937 rng(1414);
  const std::vector<float> halves = finite_halves();
  std::uniform_int_distribution<size_t> pick_half(0, halves.size() - 1);
  std::uniform_int_distribution<int32_t> pick_sum(-32 * 128 * 127, 32 * 128 * 127);
  const int32_t edges[] = {0, 1, -1, 127, -128 * 127, 32 * 128 * 127, -32 * 128 * 127};
  for (const ScaleRange& r : kScaleRanges) {
    std::uniform_int_distribution<int> pick_k(r.lo, r.hi);
    for (int trial = 0; trial < 200000; ++trial) {
      const float w = halves[pick_half(rng)] * static_cast<float>(pick_k(rng));
      const int32_t s = trial < 7 ? edges[trial] : pick_sum(rng);
      const float fused = biased_product(w, biased_sum_offset(w), kSumBias + s);
      const float product = mul_rn(w, biased_sum_to_float(kSumBias + s));
      if (product == 0.0f) {
        ASSERT_EQ(fused, 0.0f) << r.formats << ": " << w << " x " << s;
      } else {
        ASSERT_EQ(bits_of(fused), bits_of(product)) << r.formats << ": " << w << " x " << s;
      }
    }
  }
}

// The condition matters: a scale of 24 significant bits (not one any format makes) gives another
// rounding for some sums, so the test above would see a format whose scales had more bits.
TEST(MmaFusedStep, AScaleOfTooManyBitsRoundsDifferently) {
  const float w = 1.0f + std::ldexp(1.0f, -23);
  int differ = 0;
  for (int32_t s = 1; s < 4096; ++s) {
    differ += biased_product(w, biased_sum_offset(w), kSumBias + s) != mul_rn(w, static_cast<float>(s));
  }
  EXPECT_GT(differ, 0);
}

// A whole step, fused against combine_factors, bit for bit: scales and offsets as the formats make
// them, activation scales and sums as the quantizer makes them, accumulators of either sign and +0
// (an accumulator is never -0: it starts +0, and an fma onto +0 or a nonzero float gives -0 only by
// underflowing below the smallest subnormal).
template <int kGroup, bool kBias>
void expect_fused_step_equals_the_reference(std::mt19937& rng, int k_lo, int k_hi) {
  std::uniform_int_distribution<uint32_t> pick_half(0, 0x7BFF);  // finite, nonnegative
  std::uniform_int_distribution<int> pick_k(k_lo, k_hi);
  std::uniform_int_distribution<int32_t> pick_sum(-16 * 128 * 127, 16 * 128 * 127), pick_xsum(-16 * 127, 16 * 127);
  std::normal_distribution<float> pick_acc(0.0f, 50.0f);
  std::uniform_real_distribution<float> pick_dx(0.0f, 0.1f);
  for (int trial = 0; trial < 200000; ++trial) {
    float ws[2], wb[2];
    for (int h = 0; h < 2; ++h) {
      const float d = nt::quant::fp16_to_fp32(static_cast<uint16_t>(pick_half(rng)));
      ws[h] = d * static_cast<float>(pick_k(rng));
      wb[h] = kBias ? -(nt::quant::fp16_to_fp32(static_cast<uint16_t>(pick_half(rng))) * static_cast<float>(pick_k(rng)))
                    : 0.0f;
    }
    if (kGroup == 32) ws[1] = ws[0], wb[1] = wb[0];
    const int32_t sx[2] = {pick_xsum(rng), pick_xsum(rng)};
    // One sum in eight is zero: the product's zero sign is the case the fma does not copy.
    const int32_t c[2] = {kSumBias + (trial % 8 == 0 ? 0 : pick_sum(rng)), kSumBias + pick_sum(rng)};
    const float acc = trial % 16 == 0 ? 0.0f : pick_acc(rng), dx = pick_dx(rng);
    const RowFactors<kGroup, kBias> w = row_factors<kGroup, kBias>(ws, wb);
    const TokenFactors<kGroup, kBias> x = token_factors<kGroup, kBias>(dx, sx);
    const float sumf[2] = {biased_sum_to_float(c[0]), kGroup == 32 ? 0.0f : biased_sum_to_float(c[1])};
    const float reference = combine_factors<kGroup, kBias>(acc, x, sumf, w);
    const float fused = combine_biased<kGroup, kBias>(acc, x, c, w, row_offsets<kGroup, kBias>(w));
    ASSERT_EQ(bits_of(fused), bits_of(reference)) << "group " << kGroup << " bias " << kBias << " trial " << trial;
  }
}

TEST(MmaFusedStep, CombineBiasedEqualsCombineFactorsBitForBit) {
  std::mt19937 rng(1415);
  expect_fused_step_equals_the_reference<32, false>(rng, 1, 1);   // Q4_0, Q5_0, Q8_0
  expect_fused_step_equals_the_reference<32, true>(rng, 0, 63);   // Q4_1, Q5_1, Q4_K, Q5_K
  expect_fused_step_equals_the_reference<16, false>(rng, -128, 127);  // Q3_K, Q6_K
  expect_fused_step_equals_the_reference<16, true>(rng, 0, 15);   // Q2_K
}

}  // namespace
}  // namespace nt::cuda::mma
