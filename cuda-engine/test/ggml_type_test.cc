#include <gtest/gtest.h>

#include "gguf/ggml_type.h"

namespace nt {

TEST(GgmlType, SupportedTypesHaveTheBlockLayoutsOfGgml) {
  struct Expected { GgmlType type; uint32_t elements, bytes; };
  const Expected expected[] = {
      {GgmlType::F32, 1, 4},      {GgmlType::F16, 1, 2},      {GgmlType::BF16, 1, 2},
      {GgmlType::Q4_0, 32, 18},   {GgmlType::Q4_1, 32, 20},   {GgmlType::Q5_0, 32, 22},
      {GgmlType::Q5_1, 32, 24},   {GgmlType::Q8_0, 32, 34},   {GgmlType::Q2_K, 256, 84},
      {GgmlType::Q3_K, 256, 110}, {GgmlType::Q4_K, 256, 144}, {GgmlType::Q5_K, 256, 176},
      {GgmlType::Q6_K, 256, 210},
  };
  for (const auto& e : expected) {
    const auto layout = ggml_block_layout(static_cast<uint32_t>(e.type));
    ASSERT_TRUE(layout.has_value()) << ggml_type_name(static_cast<uint32_t>(e.type));
    EXPECT_EQ(layout->block_elements, e.elements) << ggml_type_name(static_cast<uint32_t>(e.type));
    EXPECT_EQ(layout->block_bytes, e.bytes) << ggml_type_name(static_cast<uint32_t>(e.type));
  }
}

TEST(GgmlType, KnownButUnsupportedTypesHaveNamesAndNoLayout) {
  EXPECT_EQ(ggml_type_name(static_cast<uint32_t>(GgmlType::IQ2_XS)), "IQ2_XS");
  EXPECT_FALSE(ggml_block_layout(static_cast<uint32_t>(GgmlType::IQ2_XS)).has_value());
  EXPECT_FALSE(ggml_block_layout(static_cast<uint32_t>(GgmlType::Q8_K)).has_value());
  EXPECT_FALSE(ggml_block_layout(static_cast<uint32_t>(GgmlType::F64)).has_value());
}

TEST(GgmlType, RemovedAndUnknownIdsAreNamedByNumber) {
  EXPECT_EQ(ggml_type_name(4), "unknown type 4");
  EXPECT_EQ(ggml_type_name(1000), "unknown type 1000");
  EXPECT_FALSE(ggml_block_layout(4).has_value());
}

}  // namespace nt
