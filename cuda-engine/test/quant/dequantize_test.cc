// dequantize_row on hand-built blocks, checked against values worked out by hand from the block
// layouts in ggml-common.h (the arithmetic is in the comments).
#include <gtest/gtest.h>

#include <cstring>
#include <vector>

#include "core/engine_error.h"
#include "gguf/ggml_type.h"
#include "quant/dequantize.h"

namespace nt::quant {
namespace {

std::vector<float> dequantize(GgmlType type, const std::vector<uint8_t>& bytes, int64_t n) {
  std::vector<float> out(n);
  dequantize_row(static_cast<uint32_t>(type), bytes.data(), out.data(), n);
  return out;
}

void put_u16(std::vector<uint8_t>& bytes, size_t offset, uint16_t value) {
  std::memcpy(bytes.data() + offset, &value, sizeof value);
}

TEST(Dequantize, F32F16AndBf16) {
  std::vector<uint8_t> f32(8);
  const float values[2] = {1.5f, -2.0f};
  std::memcpy(f32.data(), values, 8);
  EXPECT_EQ(dequantize(GgmlType::F32, f32, 2), (std::vector<float>{1.5f, -2.0f}));

  std::vector<uint8_t> f16(8);
  const uint16_t halves[4] = {0x3C00, 0xC000, 0x7BFF, 0x0001};
  std::memcpy(f16.data(), halves, 8);
  EXPECT_EQ(dequantize(GgmlType::F16, f16, 4), (std::vector<float>{1.0f, -2.0f, 65504.0f, 0x1p-24f}));

  std::vector<uint8_t> bf16(4);
  put_u16(bf16, 0, 0x3F80);
  put_u16(bf16, 2, 0xC040);
  EXPECT_EQ(dequantize(GgmlType::BF16, bf16, 2), (std::vector<float>{1.0f, -3.0f}));
}

// Byte j of qs: element j in the low nibble (j), element j + 16 in the high one (15 - j).
std::vector<uint8_t> nibble_ramp() {
  std::vector<uint8_t> qs(16);
  for (int j = 0; j < 16; ++j) qs[j] = static_cast<uint8_t>(j | ((15 - j) << 4));
  return qs;
}

TEST(Dequantize, Q4_0IsNibbleMinus8TimesD) {
  std::vector<uint8_t> block(18);
  put_u16(block, 0, 0x3800);  // d = 0.5
  std::memcpy(block.data() + 2, nibble_ramp().data(), 16);
  const auto y = dequantize(GgmlType::Q4_0, block, 32);
  EXPECT_EQ(y[0], -4.0f);   // (0 - 8) * 0.5
  EXPECT_EQ(y[1], -3.5f);   // (1 - 8) * 0.5
  EXPECT_EQ(y[8], 0.0f);    // (8 - 8) * 0.5
  EXPECT_EQ(y[15], 3.5f);   // (15 - 8) * 0.5
  EXPECT_EQ(y[16], 3.5f);   // high nibble of byte 0 = 15
  EXPECT_EQ(y[31], -4.0f);  // high nibble of byte 15 = 0
  for (int j = 0; j < 16; ++j) {
    EXPECT_EQ(y[j], (j - 8) * 0.5f);
    EXPECT_EQ(y[j + 16], (7 - j) * 0.5f);
  }
}

TEST(Dequantize, Q4_1IsNibbleTimesDPlusM) {
  std::vector<uint8_t> block(20);
  put_u16(block, 0, 0x3C00);  // d = 1
  put_u16(block, 2, 0xC100);  // m = -2.5
  std::memcpy(block.data() + 4, nibble_ramp().data(), 16);
  const auto y = dequantize(GgmlType::Q4_1, block, 32);
  EXPECT_EQ(y[0], -2.5f);   // 0 * 1 - 2.5
  EXPECT_EQ(y[15], 12.5f);  // 15 * 1 - 2.5
  EXPECT_EQ(y[16], 12.5f);
  EXPECT_EQ(y[31], -2.5f);
}

TEST(Dequantize, Q5_0TakesTheFifthBitFromQh) {
  std::vector<uint8_t> block(22);
  put_u16(block, 0, 0x3C00);  // d = 1
  const uint8_t qh[4] = {0x01, 0x00, 0x01, 0x80};  // bits 0, 16 and 31 set
  std::memcpy(block.data() + 2, qh, 4);
  std::memcpy(block.data() + 6, nibble_ramp().data(), 16);
  const auto y = dequantize(GgmlType::Q5_0, block, 32);
  EXPECT_EQ(y[0], 0.0f);     // (0 + 16) - 16
  EXPECT_EQ(y[1], -15.0f);   // 1 - 16
  EXPECT_EQ(y[15], -1.0f);   // 15 - 16
  EXPECT_EQ(y[16], 15.0f);   // (15 + 16) - 16
  EXPECT_EQ(y[17], -2.0f);   // 14 - 16
  EXPECT_EQ(y[30], -15.0f);  // 1 - 16
  EXPECT_EQ(y[31], 0.0f);    // (0 + 16) - 16
}

TEST(Dequantize, Q5_1TakesTheFifthBitFromQh) {
  std::vector<uint8_t> block(24);
  put_u16(block, 0, 0x3800);  // d = 0.5
  put_u16(block, 2, 0x3C00);  // m = 1
  const uint8_t qh[4] = {0x01, 0x00, 0x01, 0x80};
  std::memcpy(block.data() + 4, qh, 4);
  std::memcpy(block.data() + 8, nibble_ramp().data(), 16);
  const auto y = dequantize(GgmlType::Q5_1, block, 32);
  EXPECT_EQ(y[0], 9.0f);    // 16 * 0.5 + 1
  EXPECT_EQ(y[1], 1.5f);    // 1 * 0.5 + 1
  EXPECT_EQ(y[16], 16.5f);  // 31 * 0.5 + 1
  EXPECT_EQ(y[17], 8.0f);   // 14 * 0.5 + 1
  EXPECT_EQ(y[31], 9.0f);   // 16 * 0.5 + 1
}

TEST(Dequantize, Q8_0IsQTimesD) {
  std::vector<uint8_t> block(34);
  put_u16(block, 0, 0x3400);  // d = 0.25
  for (int j = 0; j < 32; ++j) block[2 + j] = static_cast<uint8_t>(static_cast<int8_t>(j * 8 - 128));
  const auto y = dequantize(GgmlType::Q8_0, block, 32);
  EXPECT_EQ(y[0], -32.0f);  // -128 * 0.25
  EXPECT_EQ(y[16], 0.0f);   // 0
  EXPECT_EQ(y[31], 30.0f);  // 120 * 0.25
}

TEST(Dequantize, Q2_K) {
  std::vector<uint8_t> block(84);
  for (int g = 0; g < 16; ++g) block[g] = static_cast<uint8_t>(g | ((15 - g) << 4));  // scale g, min 15 - g
  // 2-bit fields 0, 1, 2, 3 (q = (e % 128) / 32), except byte 5 of the second half: 3, 2, 1, 0.
  for (int i = 0; i < 64; ++i) block[16 + i] = 0xE4;
  block[16 + 32 + 5] = 0x1B;
  put_u16(block, 80, 0x3C00);  // d = 1
  put_u16(block, 82, 0x3800);  // dmin = 0.5
  const auto y = dequantize(GgmlType::Q2_K, block, 256);
  EXPECT_EQ(y[0], -7.5f);    // group 0: 1 * 0 * 0 - 0.5 * 15
  EXPECT_EQ(y[40], -4.5f);   // group 2, q 1: 2 * 1 - 0.5 * 13
  EXPECT_EQ(y[100], 13.5f);  // group 6, q 3: 6 * 3 - 0.5 * 9
  EXPECT_EQ(y[130], -3.5f);  // group 8, q 0: 0 - 0.5 * 7
  EXPECT_EQ(y[133], 20.5f);  // group 8, byte 5 of the half, bits 0-1 = 3: 8 * 3 - 0.5 * 7
  EXPECT_EQ(y[165], 17.5f);  // group 10, byte 5 of the half, bits 2-3 = 2: 10 * 2 - 0.5 * 5
  EXPECT_EQ(y[255], 45.0f);  // group 15, q 3: 15 * 3 - 0
}

TEST(Dequantize, Q3_K) {
  std::vector<uint8_t> block(110);
  for (int l = 0; l < 16; ++l) block[l] = 0xFF;       // hmask: high bit set for elements e % 32 < 16
  for (int i = 0; i < 64; ++i) block[32 + i] = 0x1B;  // 2-bit fields 3, 2, 1, 0
  // Scales (6 bits, minus 32): 0 -> 33, 5 -> 40, 8 -> 30, 15 -> 39, the rest 32.
  // Low 4 bits: scale g < 8 in the low nibble of byte g, g >= 8 in the high nibble of byte g - 8.
  // High 2 bits: bits 2 * (g / 4) of byte 8 + g % 4 (all 2, except scale 8's which is 1).
  const uint8_t scales[12] = {0xE1, 0x00, 0x00, 0x00, 0x00, 0x08, 0x00, 0x70, 0x9A, 0xAA, 0xAA, 0xAA};
  std::memcpy(block.data() + 96, scales, 12);
  put_u16(block, 108, 0x3800);  // d = 0.5
  const auto y = dequantize(GgmlType::Q3_K, block, 256);
  EXPECT_EQ(y[0], 1.5f);     // scale 1, low 3, high bit set: 0.5 * 1 * 3
  EXPECT_EQ(y[5], 1.5f);
  EXPECT_EQ(y[70], 0.0f);    // group 4, scale 0
  EXPECT_EQ(y[80], -12.0f);  // group 5, scale 8, low 1, e % 32 = 16 has no high bit: 0.5 * 8 * (1 - 4)
  EXPECT_EQ(y[128], -3.0f);  // group 8, scale -2, low 3, high bit set: 0.5 * -2 * 3
  EXPECT_EQ(y[140], -3.0f);
  EXPECT_EQ(y[250], -14.0f);  // group 15, scale 7, low 0, no high bit: 0.5 * 7 * (0 - 4)
  EXPECT_EQ(y[255], -14.0f);
}

// Scales and mins: sub-block 0 -> 1 and 2, sub-block 3 -> 63 and 0, sub-block 4 -> 19 and 37
// (low 4 bits 3 and 5 from byte 8, top 2 bits 1 and 2 from bytes 0 and 4), sub-block 7 -> 10
// and 0, the rest 0 and 0.
const uint8_t kK4Scales[12] = {0x41, 0x00, 0x00, 0x3F, 0x82, 0x00, 0x00, 0x00, 0x53, 0x00, 0x00, 0x0A};

TEST(Dequantize, Q4_K) {
  std::vector<uint8_t> block(144);
  put_u16(block, 0, 0x3C00);  // d = 1
  put_u16(block, 2, 0x3400);  // dmin = 0.25
  std::memcpy(block.data() + 4, kK4Scales, 12);
  for (int i = 0; i < 128; ++i) block[16 + i] = 0x93;  // even sub-blocks q = 3, odd ones q = 9
  const auto y = dequantize(GgmlType::Q4_K, block, 256);
  EXPECT_EQ(y[0], 2.5f);      // 1 * 1 * 3 - 0.25 * 2
  EXPECT_EQ(y[40], 0.0f);     // sub-block 1: scale 0, min 0
  EXPECT_EQ(y[100], 567.0f);  // sub-block 3: 63 * 9
  EXPECT_EQ(y[128], 47.75f);  // sub-block 4: 19 * 3 - 0.25 * 37
  EXPECT_EQ(y[230], 90.0f);   // sub-block 7: 10 * 9
}

TEST(Dequantize, Q5_K) {
  std::vector<uint8_t> block(176);
  put_u16(block, 0, 0x3C00);  // d = 1
  put_u16(block, 2, 0x3400);  // dmin = 0.25
  std::memcpy(block.data() + 4, kK4Scales, 12);
  for (int l = 0; l < 32; ++l) block[16 + l] = 0x10;   // fifth bit set in sub-block 4 only
  for (int i = 0; i < 128; ++i) block[48 + i] = 0x93;  // low 4 bits: 3 (even), 9 (odd sub-blocks)
  const auto y = dequantize(GgmlType::Q5_K, block, 256);
  EXPECT_EQ(y[0], 2.5f);       // 1 * 3 - 0.25 * 2
  EXPECT_EQ(y[100], 567.0f);   // 63 * 9
  EXPECT_EQ(y[128], 351.75f);  // 19 * (3 + 16) - 0.25 * 37
  EXPECT_EQ(y[230], 90.0f);    // 10 * 9
}

TEST(Dequantize, Q6_K) {
  std::vector<uint8_t> block(210);
  for (int i = 0; i < 128; ++i) block[i] = 0x21;        // ql: low nibble 1, high nibble 2
  for (int i = 0; i < 64; ++i) block[128 + i] = 0xE4;   // qh: 2-bit fields 0, 1, 2, 3
  for (int g = 0; g < 16; ++g) block[192 + g] = static_cast<uint8_t>(static_cast<int8_t>(g - 8));
  put_u16(block, 208, 0x3800);  // d = 0.5
  // q - 32 per 32-element quarter of a half: (1 | 0 << 4) - 32 = -31, (1 | 1 << 4) - 32 = -15,
  // (2 | 2 << 4) - 32 = 2, (2 | 3 << 4) - 32 = 18.
  const auto y = dequantize(GgmlType::Q6_K, block, 256);
  EXPECT_EQ(y[0], 124.0f);   // 0.5 * -8 * -31
  EXPECT_EQ(y[40], 45.0f);   // 0.5 * -6 * -15
  EXPECT_EQ(y[70], -4.0f);   // 0.5 * -4 * 2
  EXPECT_EQ(y[130], 0.0f);   // group 8: scale 0
  EXPECT_EQ(y[255], 63.0f);  // 0.5 * 7 * 18
}

TEST(Dequantize, RefusesTypesItCannotComputeWith) {
  std::vector<uint8_t> bytes(64);
  std::vector<float> out(32);
  try {
    dequantize_row(static_cast<uint32_t>(GgmlType::IQ2_XS), bytes.data(), out.data(), 32);
    FAIL() << "no exception";
  } catch (const EngineError& e) {
    EXPECT_EQ(e.code(), "NT_E_UNSUPPORTED");
  }
  try {
    dequantize_row(static_cast<uint32_t>(GgmlType::Q4_0), bytes.data(), out.data(), 31);
    FAIL() << "no exception";
  } catch (const EngineError& e) {
    EXPECT_EQ(e.code(), "NT_E_INTERNAL");
  }
}

}  // namespace
}  // namespace nt::quant
