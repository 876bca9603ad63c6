// The tensor-core GEMM's weight unpacking (cuda/quant/mma_unpack.h), on the CPU: for every
// quantized type and every 32-value slice of random valid rows, ws * q + wb is bit for bit the
// weight quant::dequantize_row gives, so the integer tiles hold the right q in the right order.
// The rows start 16-byte aligned, as tensors on the GPU do, and the unpackers' word loads check
// their alignment here (mma_host_device.h), so one that would load misaligned on the GPU fails.
#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <random>
#include <vector>

#include "cpu/quant_test_rows.h"
#include "cuda/quant/mma_unpack.h"
#include "cuda_host/mma_reference.h"
#include "quant/dequantize.h"
#include "quant/half.h"

namespace nt::cuda::mma {
namespace {

template <class U>
void expect_unpack_matches_dequantize(GgmlType type) {
  std::mt19937 rng(static_cast<unsigned>(type) + 1400);
  const int64_t n = 512;
  for (int trial = 0; trial < 20; ++trial) {
    const std::vector<uint8_t> row = cpu::test::random_weight_row(type, n, rng);
    std::vector<float> expected(n);
    nt::quant::dequantize_row(static_cast<uint32_t>(type), row.data(), expected.data(), n);
    for (int64_t e = 0; e < n; e += 32) {
      uint32_t words[8];
      float ws[2], wb[2];
      U::unpack32(row.data() + (e / U::kBlockElements) * U::kBlockBytes, static_cast<int>((e % U::kBlockElements) / 32),
                  words, ws, wb);
      int8_t q[32];
      for (int i = 0; i < 32; ++i) q[i] = static_cast<int8_t>((words[i / 4] >> (8 * (i % 4))) & 0xFF);
      if (U::kGroup == 32) {
        EXPECT_EQ(ws[0], ws[1]);
        EXPECT_EQ(wb[0], wb[1]);
      }
      if (!U::kBias) {
        EXPECT_EQ(wb[0], 0.0f);
        EXPECT_EQ(wb[1], 0.0f);
      }
      for (int i = 0; i < 32; ++i) {
        const float product = ws[i / 16] * static_cast<float>(q[i]);
        const float weight = product + wb[i / 16];
        uint32_t got, want;
        std::memcpy(&got, &weight, 4);
        std::memcpy(&want, &expected[e + i], 4);
        // Equal values; -0 and +0 both stand for a zero weight (ws * 0 + 0 against -0.0 from a negative scale).
        if (weight == 0.0f && expected[e + i] == 0.0f) continue;
        ASSERT_EQ(got, want) << ggml_type_name(static_cast<uint32_t>(type)) << " element " << e + i << ": q " << int{q[i]}
                             << " ws " << ws[i / 16] << " wb " << wb[i / 16] << " gives " << weight << ", dequantized "
                             << expected[e + i];
      }
    }
  }
}

TEST(MmaUnpack, Q4_0) { expect_unpack_matches_dequantize<UnpackQ4_0>(GgmlType::Q4_0); }
TEST(MmaUnpack, Q4_1) { expect_unpack_matches_dequantize<UnpackQ4_1>(GgmlType::Q4_1); }
TEST(MmaUnpack, Q5_0) { expect_unpack_matches_dequantize<UnpackQ5_0>(GgmlType::Q5_0); }
TEST(MmaUnpack, Q5_1) { expect_unpack_matches_dequantize<UnpackQ5_1>(GgmlType::Q5_1); }
TEST(MmaUnpack, Q8_0) { expect_unpack_matches_dequantize<UnpackQ8_0>(GgmlType::Q8_0); }
TEST(MmaUnpack, Q2_K) { expect_unpack_matches_dequantize<UnpackQ2_K>(GgmlType::Q2_K); }
TEST(MmaUnpack, Q3_K) { expect_unpack_matches_dequantize<UnpackQ3_K>(GgmlType::Q3_K); }
TEST(MmaUnpack, Q4_K) { expect_unpack_matches_dequantize<UnpackQ4_K>(GgmlType::Q4_K); }
TEST(MmaUnpack, Q5_K) { expect_unpack_matches_dequantize<UnpackQ5_K>(GgmlType::Q5_K); }
TEST(MmaUnpack, Q6_K) { expect_unpack_matches_dequantize<UnpackQ6_K>(GgmlType::Q6_K); }

// The f16 decoding the unpackers use, against the shared core's on every one of the 65536 values.
TEST(MmaUnpack, HalfToFloatIsExactForEveryF16) {
  for (uint32_t h = 0; h < 65536; ++h) {
    const float got = half_to_float(h), want = nt::quant::fp16_to_fp32(static_cast<uint16_t>(h));
    if (std::isnan(want)) {
      EXPECT_TRUE(std::isnan(got)) << h;
      continue;
    }
    uint32_t a, b;
    std::memcpy(&a, &got, 4);
    std::memcpy(&b, &want, 4);
    ASSERT_EQ(a, b) << "f16 bits " << h;
  }
}

}  // namespace
}  // namespace nt::cuda::mma
