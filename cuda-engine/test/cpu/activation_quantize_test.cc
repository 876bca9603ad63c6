// The activation formats: each weight type's input row is converted to them first, so their
// rounding decides most of the agreement with llama.cpp.
#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <random>
#include <vector>

#include "cpu/quant/quants.h"
#include "cpu/quant_test_rows.h"
#include "cpu/simd.h"
#include "quant/half.h"

namespace nt::cpu::quant {
namespace {

template <typename Block>
std::vector<Block> quantize(QuantizeFn fn, const std::vector<float>& x, int block_elements) {
  std::vector<Block> out(x.size() / block_elements);
  fn(x.data(), reinterpret_cast<uint8_t*>(out.data()), static_cast<int64_t>(x.size()));
  return out;
}

// A block whose max|x| is 127, so d = 1 and x / d needs no rounding before the integer
// rounding: the reference rounds halves away from zero, ggml's x86 code to even.
std::vector<float> block_with_ties() {
  std::vector<float> x(32, 0.0f);
  x[0] = 127.0f;
  x[1] = 2.5f;
  x[2] = -2.5f;
  x[3] = 3.5f;
  x[4] = 0.4f;
  x[5] = -0.6f;
  x[6] = -127.0f;
  return x;
}

TEST(QuantizeQ8_0, ReferenceRoundsHalvesAwayFromZero) {
  const auto blocks = quantize<BlockQ8_0>(quantize_row_q8_0, block_with_ties(), 32);
  EXPECT_EQ(blocks[0].d, 0x3C00);  // 127 / 127
  const int expected[7] = {127, 3, -3, 4, 0, -1, -127};
  for (int j = 0; j < 7; ++j) EXPECT_EQ(blocks[0].qs[j], expected[j]) << j;
}

TEST(QuantizeQ8_0, AllZerosGiveAZeroScale) {
  const auto blocks = quantize<BlockQ8_0>(quantize_row_q8_0, std::vector<float>(32, 0.0f), 32);
  EXPECT_EQ(blocks[0].d, 0);
  for (int j = 0; j < 32; ++j) EXPECT_EQ(blocks[0].qs[j], 0);
}

TEST(QuantizeQ8_1, ReferenceStoresDTimesTheSumOfQuants) {
  const auto blocks = quantize<BlockQ8_1>(quantize_row_q8_1, block_with_ties(), 32);
  EXPECT_EQ(blocks[0].d, 0x3C00);
  // 127 + 3 - 3 + 4 + 0 - 1 - 127 = 3, times d = 1.
  EXPECT_EQ(blocks[0].s, fp32_to_fp16(3.0f));
}

TEST(QuantizeQ8_K, ScalesByTheLargestElementSignIncludedAndRoundsHalvesToEven) {
  std::vector<float> x(256, 0.0f);
  x[10] = -254.0f;  // the largest magnitude, negative: scale = -127 / -254 = 0.5, d = 2
  x[11] = 1.0f;     // 0.5 -> 0 (even)
  x[12] = 3.0f;     // 1.5 -> 2 (even)
  x[13] = 5.0f;     // 2.5 -> 2 (even)
  x[14] = -7.0f;    // -3.5 -> -4 (even)
  x[20] = 100.0f;   // 50
  x[200] = 10.2f;   // 5.1 -> 5
  const auto blocks = quantize<BlockQ8_K>(quantize_row_q8_k, x, 256);
  EXPECT_EQ(blocks[0].d, 2.0f);
  EXPECT_EQ(blocks[0].qs[10], -127);
  EXPECT_EQ(blocks[0].qs[11], 0);
  EXPECT_EQ(blocks[0].qs[12], 2);
  EXPECT_EQ(blocks[0].qs[13], 2);
  EXPECT_EQ(blocks[0].qs[14], -4);
  EXPECT_EQ(blocks[0].qs[20], 50);
  EXPECT_EQ(blocks[0].qs[200], 5);
  EXPECT_EQ(blocks[0].bsums[0], -127 + 0 + 2 + 2 - 4);  // elements 0-15
  EXPECT_EQ(blocks[0].bsums[1], 50);                    // elements 16-31
  EXPECT_EQ(blocks[0].bsums[12], 5);                    // elements 192-207
}

TEST(QuantizeQ8_K, TakesTheFirstOfTwoEqualMagnitudes) {
  std::vector<float> x(256, 0.0f);
  x[3] = 8.0f;
  x[7] = -8.0f;
  const auto blocks = quantize<BlockQ8_K>(quantize_row_q8_k, x, 256);
  EXPECT_EQ(blocks[0].qs[3], -127);  // scale -127 / 8 from the first one
  EXPECT_EQ(blocks[0].qs[7], 127);
  EXPECT_EQ(blocks[0].d, 1.0f / (-127.0f / 8.0f));
}

TEST(QuantizeQ8_K, AllZerosGiveAZeroBlock) {
  const auto blocks = quantize<BlockQ8_K>(quantize_row_q8_k, std::vector<float>(256, 0.0f), 256);
  EXPECT_EQ(blocks[0].d, 0.0f);
  for (int j = 0; j < 256; ++j) EXPECT_EQ(blocks[0].qs[j], 0);
  for (int g = 0; g < 16; ++g) EXPECT_EQ(blocks[0].bsums[g], 0);
}

#if NT_X86
TEST(QuantizeQ8_0, X86RoundsHalvesToEven) {
  if (!cpu_has_avx2()) GTEST_SKIP() << "no AVX2";
  const auto blocks = quantize<BlockQ8_0>(quantize_row_q8_0_avx2, block_with_ties(), 32);
  EXPECT_EQ(blocks[0].d, 0x3C00);
  const int expected[7] = {127, 2, -2, 4, 0, -1, -127};
  for (int j = 0; j < 7; ++j) EXPECT_EQ(blocks[0].qs[j], expected[j]) << j;
}

// ggml's x86 quantize_row_q8_0 / q8_1, restated: d = max|x| / 127 and
// q = round-half-even(x * (127 / max|x|)).
template <typename Block>
void expect_x86_rounding(const Block& block, const float* x) {
  float amax = 0.0f;
  for (int j = 0; j < 32; ++j) amax = std::fmax(amax, std::fabs(x[j]));
  ASSERT_EQ(block.d, fp32_to_fp16(amax / 127.0f));
  const float id = amax != 0.0f ? 127.0f / amax : 0.0f;
  for (int j = 0; j < 32; ++j) ASSERT_EQ(block.qs[j], static_cast<int>(std::nearbyint(x[j] * id))) << j;
}

TEST(QuantizeQ8_0, X86VersionMatchesItsDefinitionOnRandomRows) {
  if (!cpu_has_avx2()) GTEST_SKIP() << "no AVX2";
  std::mt19937 rng(1);
  const auto x = test::random_activations(32 * 512, rng);
  const auto blocks = quantize<BlockQ8_0>(quantize_row_q8_0_avx2, x, 32);
  for (size_t b = 0; b < blocks.size(); ++b) expect_x86_rounding(blocks[b], x.data() + 32 * b);
}

TEST(QuantizeQ8_1, X86VersionMatchesItsDefinitionOnRandomRows) {
  if (!cpu_has_avx2()) GTEST_SKIP() << "no AVX2";
  std::mt19937 rng(2);
  const auto x = test::random_activations(32 * 512, rng);
  const auto blocks = quantize<BlockQ8_1>(quantize_row_q8_1_avx2, x, 32);
  for (size_t b = 0; b < blocks.size(); ++b) {
    expect_x86_rounding(blocks[b], x.data() + 32 * b);
    float amax = 0.0f;
    int sum = 0;
    for (int j = 0; j < 32; ++j) {
      amax = std::fmax(amax, std::fabs(x[32 * b + j]));
      sum += blocks[b].qs[j];
    }
    ASSERT_EQ(blocks[b].s, fp32_to_fp16(amax / 127.0f * sum));
  }
}

TEST(QuantizeQ8_K, Avx2VersionIsBitIdenticalToTheReference) {
  if (!cpu_has_avx2()) GTEST_SKIP() << "no AVX2";
  std::mt19937 rng(3);
  auto x = test::random_activations(256 * 256, rng);
  // Include blocks with ties of rounding, equal magnitudes of both signs, and all zeros.
  for (int j = 0; j < 256; ++j) x[j] = (j % 9 - 4) * 0.5f;  // max 2, scale 63.5: many .5 products
  x[256 + 5] = 9.0f;
  x[256 + 6] = -9.0f;
  std::fill(x.begin() + 512, x.begin() + 768, 0.0f);
  const auto scalar = quantize<BlockQ8_K>(quantize_row_q8_k, x, 256);
  const auto avx2 = quantize<BlockQ8_K>(quantize_row_q8_k_avx2, x, 256);
  ASSERT_EQ(0, std::memcmp(scalar.data(), avx2.data(), scalar.size() * sizeof(BlockQ8_K)));
}

TEST(QuantizeF16, Avx2VersionIsBitIdenticalToTheScalarOne) {
  if (!cpu_has_avx2()) GTEST_SKIP() << "no AVX2";
  std::mt19937 rng(4);
  std::vector<float> x = test::random_activations(1003, rng);
  x[0] = 65520.0f;
  x[1] = 0x1p-25f;
  x[2] = 1.0f + 0x1p-11f;
  std::vector<uint16_t> scalar(x.size()), avx2(x.size());
  quantize_row_f16(x.data(), reinterpret_cast<uint8_t*>(scalar.data()), static_cast<int64_t>(x.size()));
  quantize_row_f16_avx2(x.data(), reinterpret_cast<uint8_t*>(avx2.data()), static_cast<int64_t>(x.size()));
  EXPECT_EQ(scalar, avx2);
}
#endif

}  // namespace
}  // namespace nt::cpu::quant
