#include "cpu/quant_test_rows.h"

#include <cmath>
#include <cstring>

#include "quant/half.h"

namespace nt::cpu::test {

using nt::quant::fp16_to_fp32;
using nt::quant::fp32_to_bf16;
using nt::quant::fp32_to_fp16;

namespace {

struct ScaleFields {
  int block_elements;
  int block_bytes;
  std::vector<int> signed_scales;    // byte offsets of f16 fields that may be negative (d, m)
  std::vector<int> positive_scales;  // byte offsets of f16 fields that are >= 0 (dmin)
};

// Byte offsets of the f16 fields in each block, from ggml-common.h's structs.
ScaleFields scale_fields(GgmlType type) {
  switch (type) {
    case GgmlType::Q4_0: return {32, 18, {0}, {}};
    case GgmlType::Q4_1: return {32, 20, {0, 2}, {}};
    case GgmlType::Q5_0: return {32, 22, {0}, {}};
    case GgmlType::Q5_1: return {32, 24, {0, 2}, {}};
    case GgmlType::Q8_0: return {32, 34, {0}, {}};
    case GgmlType::Q2_K: return {256, 84, {80}, {82}};
    case GgmlType::Q3_K: return {256, 110, {108}, {}};
    case GgmlType::Q4_K: return {256, 144, {0}, {2}};
    case GgmlType::Q5_K: return {256, 176, {0}, {2}};
    case GgmlType::Q6_K: return {256, 210, {208}, {}};
    default: return {1, 0, {}, {}};
  }
}

void put_f16(uint8_t* p, float value) {
  const uint16_t h = fp32_to_fp16(value);
  std::memcpy(p, &h, sizeof h);
}

}  // namespace

const std::vector<GgmlType>& supported_weight_types() {
  static const std::vector<GgmlType> types = {
      GgmlType::F32,  GgmlType::F16,  GgmlType::BF16, GgmlType::Q4_0, GgmlType::Q4_1,
      GgmlType::Q5_0, GgmlType::Q5_1, GgmlType::Q8_0, GgmlType::Q2_K, GgmlType::Q3_K,
      GgmlType::Q4_K, GgmlType::Q5_K, GgmlType::Q6_K};
  return types;
}

size_t row_bytes(GgmlType type, int64_t n) {
  const auto layout = *ggml_block_layout(static_cast<uint32_t>(type));
  return static_cast<size_t>(n / layout.block_elements) * layout.block_bytes;
}

std::vector<uint8_t> random_weight_row(GgmlType type, int64_t n, std::mt19937& rng) {
  std::vector<uint8_t> row(row_bytes(type, n));
  std::normal_distribution<float> normal(0.0f, 1.0f);
  if (type == GgmlType::F32 || type == GgmlType::F16 || type == GgmlType::BF16) {
    for (int64_t i = 0; i < n; ++i) {
      const float v = normal(rng) * 0.05f;
      if (type == GgmlType::F32) std::memcpy(row.data() + 4 * i, &v, 4);
      const uint16_t h = type == GgmlType::F16 ? fp32_to_fp16(v) : fp32_to_bf16(v);
      if (type != GgmlType::F32) std::memcpy(row.data() + 2 * i, &h, 2);
    }
    return row;
  }
  std::uniform_int_distribution<int> byte(0, 255);
  for (uint8_t& b : row) b = static_cast<uint8_t>(byte(rng));
  // Scales spread over 2^-10 .. 2^-3, as in real models; signs random where ggml allows them.
  std::uniform_real_distribution<float> exponent(-10.0f, -3.0f);
  std::bernoulli_distribution negative(0.5);
  const ScaleFields fields = scale_fields(type);
  for (int64_t b = 0; b < n / fields.block_elements; ++b) {
    uint8_t* block = row.data() + b * fields.block_bytes;
    for (int offset : fields.signed_scales) {
      const float magnitude = std::exp2(exponent(rng));
      put_f16(block + offset, negative(rng) ? -magnitude : magnitude);
    }
    for (int offset : fields.positive_scales) put_f16(block + offset, std::exp2(exponent(rng)));
  }
  return row;
}

std::vector<float> random_activations(int64_t n, std::mt19937& rng) {
  std::normal_distribution<float> normal(0.0f, 1.0f);
  std::bernoulli_distribution outlier(0.02);
  std::vector<float> x(n);
  for (float& v : x) v = normal(rng) * (outlier(rng) ? 10.0f : 1.0f);
  return x;
}

std::vector<float> random_tokens(int64_t n, int64_t n_tokens, std::mt19937& rng) {
  std::vector<float> x;
  for (int64_t t = 0; t < n_tokens; ++t) {
    const std::vector<float> row = random_activations(n, rng);
    x.insert(x.end(), row.begin(), row.end());
  }
  return x;
}

float block_offset(GgmlType type, const uint8_t* row, int64_t block) {
  const ScaleFields fields = scale_fields(type);
  uint16_t h;
  std::memcpy(&h, row + block * fields.block_bytes + 2, sizeof h);
  return fp16_to_fp32(h);
}

}  // namespace nt::cpu::test
