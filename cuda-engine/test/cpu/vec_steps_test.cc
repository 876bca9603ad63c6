// The attention accumulator's steps (cpu/ops/vec_steps.h) give the same bits at every SIMD level:
// random F16 and F32 rows of lengths around the 8-value vectors (tails of 1 to 7 included), scales
// from 0 to past 1 (a rescale is expf(M_old - M) <= 1, a weight up to 1), values that round at F16's
// smallest and largest steps, and runs of many steps as an attention head takes them.
#include "cpu/ops/vec_steps.h"

#include <gtest/gtest.h>

#include <cstring>
#include <random>
#include <vector>

#include "quant/half.h"

namespace nt::ops {
namespace {

std::vector<uint16_t> random_f16(int32_t n, std::mt19937& rng) {
  std::normal_distribution<float> normal(0.0f, 4.0f);
  std::vector<uint16_t> row(static_cast<size_t>(n));
  for (int32_t i = 0; i < n; ++i) {
    const float x = i % 11 == 3 ? normal(rng) * 1e-5f : i % 13 == 5 ? normal(rng) * 1e4f : normal(rng);
    row[static_cast<size_t>(i)] = quant::fp32_to_fp16(x);
  }
  return row;
}

std::vector<float> random_f32(int32_t n, std::mt19937& rng) {
  std::normal_distribution<float> normal(0.0f, 4.0f);
  std::vector<float> row(static_cast<size_t>(n));
  for (float& x : row) x = normal(rng);
  return row;
}

std::vector<cpu::SimdLevel> simd_levels() {
  std::vector<cpu::SimdLevel> levels;
  if (cpu::cpu_has_avx2()) levels.push_back(cpu::SimdLevel::kAvx2);
  if (cpu::cpu_has_avx512()) levels.push_back(cpu::SimdLevel::kAvx512);
  return levels;
}

TEST(VecSteps, EveryLevelGivesTheScalarStepsBits) {
  if (simd_levels().empty()) GTEST_SKIP() << "this CPU has no SIMD level above scalar";
  const VecSteps scalar = vec_steps(cpu::SimdLevel::kScalar);
  std::mt19937 rng(21);
  std::uniform_real_distribution<float> scale(0.0f, 1.25f);
  for (const cpu::SimdLevel level : simd_levels()) {
    const VecSteps simd = vec_steps(level);
    for (const int32_t n : {1, 7, 8, 9, 15, 64, 72, 128, 131}) {
      std::vector<uint16_t> y16 = random_f16(n, rng), z16 = y16;
      std::vector<float> y32 = random_f32(n, rng), z32 = y32;
      for (int step = 0; step < 200; ++step) {
        const float s = step % 17 == 0 ? 0.0f : scale(rng);
        if (step % 5 == 0) {
          scalar.scale_f16(y16.data(), n, s);
          simd.scale_f16(z16.data(), n, s);
          scalar.scale_f32(y32.data(), n, s);
          simd.scale_f32(z32.data(), n, s);
        } else {
          const std::vector<uint16_t> x16 = random_f16(n, rng);
          const std::vector<float> x32 = random_f32(n, rng);
          scalar.mad_f16(y16.data(), x16.data(), n, s);
          simd.mad_f16(z16.data(), x16.data(), n, s);
          scalar.mad_f32(y32.data(), x32.data(), n, s);
          simd.mad_f32(z32.data(), x32.data(), n, s);
        }
        ASSERT_EQ(y16, z16) << cpu::simd_level_name(level) << " n=" << n << " step " << step;
        ASSERT_EQ(0, std::memcmp(y32.data(), z32.data(), sizeof(float) * y32.size()))
            << cpu::simd_level_name(level) << " n=" << n << " step " << step;
      }
    }
  }
}

// The F16 multiply-add is fused, as ggml's x86 build's: -1 + (1 + 2^-10)(1 + 2^-21) is
// 2^-10 + 2^-21 + 2^-31 exactly, above the tie between F16's 2^-10 and 2^-10 + 2^-20, so it rounds
// up; a rounded product (1 + 2^-10 + 2^-21) would leave the tie, which rounds to the even 2^-10.
TEST(VecSteps, TheF16MultiplyAddRoundsOnceAtEveryLevel) {
  std::vector<cpu::SimdLevel> levels = simd_levels();
  levels.push_back(cpu::SimdLevel::kScalar);
  const uint16_t one_and_ulp = 0x3C01, minus_one = 0xBC00, above = 0x1401;  // 1 + 2^-10, -1, 2^-10 + 2^-20
  const float s = 1.0f + 0x1p-21f;
  for (const cpu::SimdLevel level : levels) {
    for (const int32_t n : {1, 8, 9}) {  // the scalar rest, one vector, both
      std::vector<uint16_t> y(static_cast<size_t>(n), minus_one);
      const std::vector<uint16_t> x(static_cast<size_t>(n), one_and_ulp);
      vec_steps(level).mad_f16(y.data(), x.data(), n, s);
      EXPECT_EQ(y, std::vector<uint16_t>(static_cast<size_t>(n), above)) << cpu::simd_level_name(level) << " n=" << n;
    }
  }
}

}  // namespace
}  // namespace nt::ops
