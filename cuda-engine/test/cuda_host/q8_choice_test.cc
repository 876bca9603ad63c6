// The decode kernels' default choice (cuda/kernels/q8_choice.h) against the H100 measurements its
// table was fitted to (CudaMatmulSpeed, /work's GPU run of 2026-12-07: GB/s of the float and the
// 8-bit kernel at 1, 4 and 8 tokens on 14336 x 4096 and 4096 x 4096 matrices): wherever one kernel
// was more than 5 % faster, the choice must be that kernel. Within 5 % either is fine (the run's
// own spread). A mistyped or shifted table entry picks the slower kernel somewhere here.
#include <gtest/gtest.h>

#include <cstdint>

#include "cuda/kernels/q8_choice.h"

namespace nt::cuda {
namespace {

struct Measured {
  GgmlType type;
  double mb;         // the matrix's weight bytes / 10^6
  int float_gbs[3];  // 1, 4, 8 tokens
  int int8_gbs[3];
};

constexpr Measured kMeasured[] = {
    {GgmlType::Q4_0, 33.0, {1629, 771, 424}, {1749, 1005, 623}},
    {GgmlType::Q4_1, 36.7, {1781, 854, 473}, {2050, 1027, 632}},
    {GgmlType::Q5_0, 40.4, {1752, 846, 494}, {1907, 1192, 737}},
    {GgmlType::Q5_1, 44.0, {1453, 1011, 554}, {1877, 1082, 668}},
    {GgmlType::Q8_0, 62.4, {2188, 1314, 766}, {1925, 1332, 935}},
    {GgmlType::Q2_K, 19.3, {1191, 483, 261}, {906, 560, 331}},
    {GgmlType::Q3_K, 25.2, {1375, 588, 299}, {865, 647, 432}},
    {GgmlType::Q4_K, 33.0, {2054, 468, 243}, {1486, 876, 553}},
    {GgmlType::Q5_K, 40.4, {1921, 542, 274}, {1561, 937, 612}},
    {GgmlType::Q6_K, 48.2, {1974, 1006, 566}, {1300, 1022, 690}},
    {GgmlType::Q4_0, 9.4, {1146, 661, 393}, {725, 502, 383}},
    {GgmlType::Q4_1, 10.5, {1342, 743, 442}, {813, 526, 387}},
    {GgmlType::Q5_0, 11.5, {1305, 756, 457}, {858, 612, 467}},
    {GgmlType::Q5_1, 12.6, {1490, 889, 519}, {971, 638, 457}},
    {GgmlType::Q8_0, 17.8, {2088, 1168, 710}, {1203, 821, 651}},
    {GgmlType::Q2_K, 5.5, {793, 398, 232}, {402, 290, 188}},
    {GgmlType::Q3_K, 7.2, {994, 501, 264}, {453, 368, 258}},
    {GgmlType::Q4_K, 9.4, {1348, 391, 232}, {683, 486, 349}},
    {GgmlType::Q5_K, 11.5, {1601, 498, 249}, {789, 567, 417}},
    {GgmlType::Q6_K, 13.8, {1788, 898, 538}, {813, 651, 476}},
};

TEST(Q8Choice, PicksTheKernelMeasuredFasterWhereTheyDifferByMoreThanFivePercent) {
  constexpr int kTokens[3] = {1, 4, 8};
  int decided = 0;
  for (const Measured& m : kMeasured) {
    const auto bytes = static_cast<uint64_t>(m.mb * 1e6);
    for (int i = 0; i < 3; ++i) {
      const double ratio = static_cast<double>(m.int8_gbs[i]) / m.float_gbs[i];
      if (ratio > 0.95 && ratio < 1.05) continue;
      ++decided;
      EXPECT_EQ(q8_decode_wins(m.type, kTokens[i], bytes), ratio > 1.0)
          << ggml_type_name(static_cast<uint32_t>(m.type)) << " " << m.mb << " MB, " << kTokens[i] << " tokens";
    }
  }
  EXPECT_GE(decided, 50);  // the check covers most of the 60 points, not a handful
}

TEST(Q8Choice, GrowsTowardsTheEightBitKernelWithTheTokenCountFromTwoTokens) {
  // Per token the 8-bit kernel does less work per weight byte: a size it wins at with k tokens
  // it also wins at with k + 1, from 2 tokens on (1 token's table is a separate regime: the float
  // kernel reads each weight at near memory speed there).
  for (GgmlType type : {GgmlType::Q4_0, GgmlType::Q4_1, GgmlType::Q5_0, GgmlType::Q8_0, GgmlType::Q2_K,
                        GgmlType::Q3_K, GgmlType::Q4_K, GgmlType::Q5_K, GgmlType::Q6_K}) {
    for (uint64_t mb = 1; mb <= 64; ++mb) {
      for (int64_t t = 2; t < 8; ++t) {
        if (q8_decode_wins(type, t, mb * 1000000)) {
          EXPECT_TRUE(q8_decode_wins(type, t + 1, mb * 1000000))
              << ggml_type_name(static_cast<uint32_t>(type)) << " " << mb << " MB, " << t << " tokens";
        }
      }
    }
  }
}

TEST(Q8Choice, KeepsOtherTypesAndTokenCountsOnTheFloatKernels) {
  const uint64_t big = uint64_t{1} << 40;
  for (GgmlType type : {GgmlType::F32, GgmlType::F16, GgmlType::BF16, GgmlType::Q8_K}) {
    EXPECT_FALSE(q8_decode_wins(type, 4, big)) << ggml_type_name(static_cast<uint32_t>(type));
  }
  EXPECT_FALSE(q8_decode_wins(GgmlType::Q4_K, 0, big));
  EXPECT_FALSE(q8_decode_wins(GgmlType::Q4_K, 9, big));
  EXPECT_TRUE(q8_decode_wins(GgmlType::Q4_K, 8, big));
  EXPECT_FALSE(q8_decode_wins(GgmlType::Q4_K, 1, big));  // the float kernel is the faster at 1 token
  EXPECT_FALSE(q8_decode_wins(GgmlType::Q4_K, 4, 4000000));  // a small k/v projection
}

}  // namespace
}  // namespace nt::cuda
