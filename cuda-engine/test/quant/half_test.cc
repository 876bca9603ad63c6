#include "quant/half.h"

#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <random>

#include "cpu/simd.h"

#if defined(__x86_64__)
#include <immintrin.h>
#endif

namespace nt::quant {
namespace {

TEST(Half, ConvertsKnownF16BitPatterns) {
  EXPECT_EQ(fp32_to_fp16(1.0f), 0x3C00);
  EXPECT_EQ(fp32_to_fp16(-2.0f), 0xC000);
  EXPECT_EQ(fp32_to_fp16(65504.0f), 0x7BFF);  // the largest finite f16
  EXPECT_EQ(fp32_to_fp16(0x1p-14f), 0x0400);  // the smallest normal
  EXPECT_EQ(fp32_to_fp16(0x1p-24f), 0x0001);  // the smallest subnormal
  EXPECT_EQ(fp32_to_fp16(0x3FFp-24f), 0x03FF);  // the largest subnormal
  EXPECT_EQ(fp32_to_fp16(0.0f), 0x0000);
  EXPECT_EQ(fp32_to_fp16(-0.0f), 0x8000);
  EXPECT_EQ(fp32_to_fp16(std::numeric_limits<float>::infinity()), 0x7C00);
  EXPECT_EQ(fp32_to_fp16(-std::numeric_limits<float>::infinity()), 0xFC00);

  EXPECT_EQ(fp16_to_fp32(0x3C00), 1.0f);
  EXPECT_EQ(fp16_to_fp32(0x7BFF), 65504.0f);
  EXPECT_EQ(fp16_to_fp32(0x0001), 0x1p-24f);
  EXPECT_EQ(fp16_to_fp32(0x8001), -0x1p-24f);
  EXPECT_EQ(fp16_to_fp32(0x03FF), 0x3FFp-24f);
  EXPECT_TRUE(std::isinf(fp16_to_fp32(0xFC00)) && fp16_to_fp32(0xFC00) < 0);
  EXPECT_TRUE(std::isnan(fp16_to_fp32(0x7E00)));
}

TEST(Half, RoundsF16TiesToEven) {
  // 1 + 2^-11 is halfway between 1 and 1 + 2^-10: the even neighbour is 1.
  EXPECT_EQ(fp32_to_fp16(1.0f + 0x1p-11f), 0x3C00);
  // 1 + 3 * 2^-11 is halfway between 1 + 2^-10 (odd) and 1 + 2^-9 (even).
  EXPECT_EQ(fp32_to_fp16(1.0f + 3 * 0x1p-11f), 0x3C02);
  // Just above a tie rounds up.
  EXPECT_EQ(fp32_to_fp16(1.0f + 0x1p-11f + 0x1p-23f), 0x3C01);
  // 65520 is halfway between 65504 (odd mantissa) and 65536 (infinity): it overflows.
  EXPECT_EQ(fp32_to_fp16(65519.996f), 0x7BFF);
  EXPECT_EQ(fp32_to_fp16(65520.0f), 0x7C00);
  // Subnormal ties: 2^-25 -> 0 (even), 3 * 2^-25 -> 2 * 2^-24 (even), 5 * 2^-25 -> 2 * 2^-24.
  EXPECT_EQ(fp32_to_fp16(0x1p-25f), 0x0000);
  EXPECT_EQ(fp32_to_fp16(3 * 0x1p-25f), 0x0002);
  EXPECT_EQ(fp32_to_fp16(5 * 0x1p-25f), 0x0002);
  EXPECT_EQ(fp32_to_fp16(0x1p-25f + 0x1p-40f), 0x0001);
  // The largest subnormal plus half a step rounds up into the normals.
  EXPECT_EQ(fp32_to_fp16(0x3FFp-24f + 0x1p-25f), 0x0400);
}

TEST(Half, KeepsF16NaNsQuiet) {
  const uint16_t quiet = fp32_to_fp16(std::numeric_limits<float>::quiet_NaN());
  EXPECT_EQ(quiet & 0x7E00, 0x7E00);
  const uint16_t from_signalling = fp32_to_fp16(bits_float(0x7F800001));
  EXPECT_EQ(from_signalling & 0x7C00, 0x7C00);
  EXPECT_NE(from_signalling & 0x03FF, 0);  // still a NaN, not infinity
}

TEST(Half, RoundTripsEveryF16Value) {
  for (uint32_t h = 0; h < 0x10000; ++h) {
    if ((h & 0x7C00) == 0x7C00 && (h & 0x03FF) != 0) continue;  // NaNs
    EXPECT_EQ(fp32_to_fp16(fp16_to_fp32(static_cast<uint16_t>(h))), h) << std::hex << h;
  }
}

#if defined(__x86_64__)
// The oracle is the instruction ggml uses on x86: vcvtps2ph with rounding immediate 0.
__attribute__((target("f16c"))) uint16_t f16c_convert(float f) { return _cvtss_sh(f, 0); }

TEST(Half, MatchesTheF16cInstructionOnRandomFloats) {
  if (!cpu::cpu_has_avx2()) GTEST_SKIP() << "no F16C on this CPU";
  std::mt19937 rng(7);
  std::uniform_int_distribution<uint32_t> bits;
  for (int i = 0; i < 2000000; ++i) {
    // All bit patterns, and a second pass concentrated on the f16 range.
    uint32_t x = bits(rng);
    if (i % 2) x = (x & 0x807FFFFF) | ((100 + x % 44) << 23);
    const float f = bits_float(x);
    ASSERT_EQ(fp32_to_fp16(f), f16c_convert(f)) << std::hex << x;
  }
}
#endif

TEST(Half, ConvertsKnownBf16BitPatterns) {
  EXPECT_EQ(fp32_to_bf16(1.0f), 0x3F80);
  EXPECT_EQ(fp32_to_bf16(-3.0f), 0xC040);
  EXPECT_EQ(bf16_to_fp32(0x3F80), 1.0f);
  EXPECT_EQ(bf16_to_fp32(0xC040), -3.0f);
  EXPECT_EQ(fp32_to_bf16(std::numeric_limits<float>::infinity()), 0x7F80);
  EXPECT_EQ(fp32_to_bf16(bits_float(0x00000001)), 0x0000);  // the smallest f32 subnormal
  EXPECT_EQ(fp32_to_bf16(bits_float(0x00010000)), 0x0001);  // a bf16 subnormal, kept
}

TEST(Half, RoundsBf16TiesToEvenAndKeepsNaNsQuiet) {
  EXPECT_EQ(fp32_to_bf16(bits_float(0x3F808000)), 0x3F80);  // tie, even neighbour below
  EXPECT_EQ(fp32_to_bf16(bits_float(0x3F818000)), 0x3F82);  // tie, even neighbour above
  EXPECT_EQ(fp32_to_bf16(bits_float(0x3F808001)), 0x3F81);  // just above a tie
  EXPECT_EQ(fp32_to_bf16(bits_float(0x7F7FFFFF)), 0x7F80);  // FLT_MAX rounds to infinity
  EXPECT_EQ(fp32_to_bf16(bits_float(0x7F800001)), 0x7FC0);  // signalling NaN made quiet
  EXPECT_EQ(fp32_to_bf16(bits_float(0xFFC00000)), 0xFFC0);
}

}  // namespace
}  // namespace nt::quant
