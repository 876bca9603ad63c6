// Every weight type's dot product, at both SIMD levels, on random valid rows:
//  - equals the float dot of the dequantized weights and the dequantized quantized activations,
//    up to float rounding (the block sums are exact integers; only scale products and the
//    final additions round);
//  - is close to the exact dot with the unquantized activations, within the error the
//    activation format's rounding allows;
//  - is the same at both SIMD levels up to float summation order.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <random>
#include <string>
#include <vector>

#include "cpu/quant/quants.h"
#include "cpu/quant/type_table.h"
#include "cpu/quant_test_rows.h"
#include "cpu/simd.h"
#include "gguf/ggml_type.h"
#include "quant/half.h"

namespace nt::cpu::quant {
namespace {

using test::random_activations;
using test::random_weight_row;

std::vector<float> dequantize_activation(uint32_t vec_dot_type, const std::vector<uint8_t>& act, int64_t n) {
  std::vector<float> out(n);
  switch (static_cast<GgmlType>(vec_dot_type)) {
    case GgmlType::F32: dequantize_row_f32(act.data(), out.data(), n); break;
    case GgmlType::F16: dequantize_row_f16(act.data(), out.data(), n); break;
    case GgmlType::BF16: dequantize_row_bf16(act.data(), out.data(), n); break;
    case GgmlType::Q8_0: dequantize_row_q8_0(act.data(), out.data(), n); break;
    case GgmlType::Q8_1: dequantize_row_q8_1(act.data(), out.data(), n); break;
    case GgmlType::Q8_K: dequantize_row_q8_k(act.data(), out.data(), n); break;
    default: ADD_FAILURE() << "no activation format " << vec_dot_type;
  }
  return out;
}

// One weight row, one activation row, and what the tests compare them with.
struct Case {
  GgmlType type;
  int64_t n;
  std::vector<uint8_t> w;
  std::vector<float> x;
  std::vector<uint8_t> act;  // x in the type's activation format (scalar quantizer)
  double dequantized_dot = 0;  // sum of dequantized w * dequantized act, in double
  double magnitude = 0;        // sum of |dequantized w * dequantized act| (+ |m * s| for Q8_1)
  double exact_dot = 0;        // sum of dequantized w * x
  double quantization_bound = 0;  // how far the activation's rounding may move the dot
};

Case make_case(GgmlType type, int64_t n, uint32_t seed) {
  std::mt19937 rng(seed);
  Case c{type, n, random_weight_row(type, n, rng), random_activations(n, rng), {}};
  const TypeKernels& k = *type_kernels(static_cast<uint32_t>(type), SimdLevel::kScalar);
  c.act.resize(activation_row_bytes(k.vec_dot_type, n));
  k.quantize_activation(c.x.data(), c.act.data(), n);

  std::vector<float> w(n);
  k.dequantize(c.w.data(), w.data(), n);
  const std::vector<float> a = dequantize_activation(k.vec_dot_type, c.act, n);
  for (int64_t i = 0; i < n; ++i) {
    c.dequantized_dot += static_cast<double>(w[i]) * a[i];
    c.magnitude += std::fabs(static_cast<double>(w[i]) * a[i]);
    c.exact_dot += static_cast<double>(w[i]) * c.x[i];
  }

  const int block = activation_block_elements(k.vec_dot_type);
  for (int64_t b = 0; b < n / block; ++b) {
    double amax = 0, w_abs = 0;
    for (int64_t i = b * block; i < (b + 1) * block; ++i) {
      amax = std::fmax(amax, std::fabs(c.x[i]));
      w_abs += std::fabs(w[i]);
    }
    switch (static_cast<GgmlType>(k.vec_dot_type)) {
      case GgmlType::F32: break;
      case GgmlType::F16:  // relative rounding 2^-11 (the activations are far from subnormal)
        for (int64_t i = b * block; i < (b + 1) * block; ++i) c.quantization_bound += std::fabs(w[i] * c.x[i]) * 0x1p-11;
        break;
      case GgmlType::BF16:  // relative rounding 2^-8
        for (int64_t i = b * block; i < (b + 1) * block; ++i) c.quantization_bound += std::fabs(w[i] * c.x[i]) * 0x1p-8;
        break;
      case GgmlType::Q8_0:
        // |x - q * f16(d)| <= d / 2 + 127 * |d - f16(d)| <= d / 2 + 127 * 2^-11 * d < 0.57 d.
        c.quantization_bound += w_abs * 0.57 * amax / 127;
        break;
      case GgmlType::Q8_K:
        // d is kept in f32: |x - q * d| <= d / 2 (plus rounding of the scale, far below 1%).
        c.quantization_bound += w_abs * 0.51 * amax / 127;
        break;
      case GgmlType::Q8_1: {
        // The kernel computes sum((w - m) * q * f16(d)) + m * s with s = f16(d * sum(q)) in
        // place of sum(w * x): the first term moves by sum|w - m| * 0.57 d as for Q8_0, the
        // second by |m| * |s - sum(x)| <= |m| * (32 * d / 2 + 2^-11 * 32 * 127 * d) < 18 |m| d.
        const double m = std::fabs(test::block_offset(type, c.w.data(), b));
        const double d = amax / 127;
        c.quantization_bound += (w_abs + 32 * m) * 0.57 * d + 18 * m * d;
        // Make the tight reference use s exactly as the kernel does.
        const BlockQ8_1& y = reinterpret_cast<const BlockQ8_1*>(c.act.data())[b];
        int sum_q = 0;
        for (int j = 0; j < 32; ++j) sum_q += y.qs[j];
        const double signed_m = test::block_offset(type, c.w.data(), b);
        c.dequantized_dot += signed_m * (fp16_to_fp32(y.s) - static_cast<double>(fp16_to_fp32(y.d)) * sum_q);
        c.magnitude += std::fabs(signed_m * fp16_to_fp32(y.s));
        break;
      }
      default: break;
    }
  }
  return c;
}

std::vector<SimdLevel> levels() {
  std::vector<SimdLevel> result = {SimdLevel::kScalar};
  if (cpu_has_avx2()) result.push_back(SimdLevel::kAvx2);
  if (cpu_has_avx512()) result.push_back(SimdLevel::kAvx512);
  return result;
}

// Sizes: two K super-blocks / sixteen 32-blocks; for the float types also a length with a tail
// that the 32-wide AVX2 loops leave to scalar code.
std::vector<int64_t> lengths(GgmlType type) {
  if (type == GgmlType::F32 || type == GgmlType::F16 || type == GgmlType::BF16) return {512, 100};
  return {512, 4096};
}

class VecDot : public ::testing::TestWithParam<GgmlType> {};

TEST_P(VecDot, EqualsTheDotOfDequantizedRowsUpToFloatRounding) {
  for (SimdLevel level : levels()) {
    for (int64_t n : lengths(GetParam())) {
      for (uint32_t seed = 0; seed < 20; ++seed) {
        const Case c = make_case(GetParam(), n, seed);
        const TypeKernels& k = *type_kernels(static_cast<uint32_t>(c.type), level);
        const float got = k.vec_dot(n, c.w.data(), c.act.data());
        // Each term passes through a few f32 roundings (2^-24 each) and at most n/32 additions
        // in a row; 1e-5 of the sum of magnitudes is well above that bound.
        EXPECT_NEAR(got, c.dequantized_dot, 1e-5 * c.magnitude)
            << simd_level_name(level) << " n=" << n << " seed=" << seed;
      }
    }
  }
}

TEST_P(VecDot, IsCloseToTheExactDotWithinTheActivationRounding) {
  for (SimdLevel level : levels()) {
    for (int64_t n : lengths(GetParam())) {
      for (uint32_t seed = 100; seed < 120; ++seed) {
        const Case c = make_case(GetParam(), n, seed);
        const TypeKernels& k = *type_kernels(static_cast<uint32_t>(c.type), level);
        const float got = k.vec_dot(n, c.w.data(), c.act.data());
        EXPECT_NEAR(got, c.exact_dot, c.quantization_bound + 1e-5 * c.magnitude + 1e-30)
            << simd_level_name(level) << " n=" << n << " seed=" << seed;
        // And the bound is not vacuous: it is small next to the dot's own scale.
        EXPECT_LT(c.quantization_bound, 0.25 * c.magnitude + 1e-30);
      }
    }
  }
}

TEST_P(VecDot, Avx2AgreesWithScalarUpToSummationOrder) {
  if (!cpu_has_avx2()) GTEST_SKIP() << "no AVX2";
  for (int64_t n : lengths(GetParam())) {
    for (uint32_t seed = 200; seed < 240; ++seed) {
      const Case c = make_case(GetParam(), n, seed);
      const uint32_t type = static_cast<uint32_t>(c.type);
      const float scalar = type_kernels(type, SimdLevel::kScalar)->vec_dot(n, c.w.data(), c.act.data());
      const float avx2 = type_kernels(type, SimdLevel::kAvx2)->vec_dot(n, c.w.data(), c.act.data());
      // Not bitwise: the two follow ggml's generic and AVX2 code, which add the same exact
      // integer block sums in different orders (and the generic F32/F16/BF16 code in double).
      EXPECT_NEAR(scalar, avx2, 1e-6 * c.magnitude) << "n=" << n << " seed=" << seed;
    }
  }
}

uint32_t bits_of(float f) {
  uint32_t bits;
  std::memcpy(&bits, &f, sizeof bits);
  return bits;
}

// The multi-token kernels (quants.h, DotTokens) give each token vec_dot's float bit for bit, for
// every token count, with the activation rows apart as matmul keeps them and the results written
// only at out + t * out_stride. Counts past kMaxDotTokens are split into calls of at most that
// many tokens as matmul's token tiles are (17 = two full tiles and one token).
// The types with a multi-token kernel (the others dot one token at a time in matmul.cc).
class VecDotTokens : public ::testing::TestWithParam<GgmlType> {};

// One block, and the widths of a model's rows (an 8B model's 4096 and 14336).
std::vector<int64_t> token_kernel_lengths(GgmlType type) {
  const int64_t block = ggml_block_layout(static_cast<uint32_t>(type))->block_elements;
  return {block, 512, 4096, 14336};
}

TEST_P(VecDotTokens, TokensKernelIsVecDotBitForBitForEveryTokenCount) {
  constexpr int kMaxTokens = 2 * kMaxDotTokens + 1;
  bool any = false;
  for (SimdLevel level : levels()) {
    const TypeKernels& k = *type_kernels(static_cast<uint32_t>(GetParam()), level);
    if (!k.vec_dot_tokens) continue;
    any = true;
    for (int64_t n : token_kernel_lengths(GetParam())) {
      std::mt19937 rng(static_cast<uint32_t>(300 + n));
      const std::vector<uint8_t> w = random_weight_row(GetParam(), n, rng);
      const size_t stride = activation_row_bytes(k.vec_dot_type, n);
      std::vector<uint8_t> act(stride * kMaxTokens);
      for (int t = 0; t < kMaxTokens; ++t) {
        // One token of zeros: its blocks have d = 0 (the quantizers' special case).
        const std::vector<float> x = t == 5 ? std::vector<float>(n, 0.0f) : random_activations(n, rng);
        k.quantize_activation(x.data(), act.data() + t * stride, n);
      }
      for (int count = 1; count <= kMaxTokens; ++count) {
        const int64_t out_stride = 3;
        std::vector<float> out(count * out_stride, -7.0f);
        for (int t0 = 0; t0 < count; t0 += kMaxDotTokens) {
          const int tile = std::min(kMaxDotTokens, count - t0);
          k.vec_dot_tokens({n, w.data(), act.data() + t0 * stride, stride, tile, out.data() + t0 * out_stride,
                            out_stride});
        }
        for (int t = 0; t < count; ++t) {
          const float expected = k.vec_dot(n, w.data(), act.data() + t * stride);
          EXPECT_EQ(bits_of(out[t * out_stride]), bits_of(expected))
              << simd_level_name(level) << " n=" << n << " tokens=" << count << " token " << t << ": "
              << out[t * out_stride] << " vs " << expected;
          EXPECT_EQ(out[t * out_stride + 1], -7.0f);
          EXPECT_EQ(out[t * out_stride + 2], -7.0f);
        }
      }
    }
  }
  if (!any) GTEST_SKIP() << "this CPU has no SIMD level with multi-token kernels (AVX2 or AVX-512)";
}

bool is_float_type(GgmlType type) {
  return type == GgmlType::F32 || type == GgmlType::F16 || type == GgmlType::BF16;
}

// The multi-row kernels (quants.h, DotRows) give each (row, token) vec_dot's float bit for bit,
// for every row count (1 and 3 among them: matmul's remainders) by every token count up to
// kMaxDotRowTokens, on rows as long as a 70B's down (28672 elements), with the rows w_stride
// apart (here with a gap of garbage between them, which must not be read), and write only their
// own outputs, out_stride and out_token_stride apart.
class VecDotRows : public ::testing::TestWithParam<GgmlType> {};

TEST_P(VecDotRows, RowsKernelIsVecDotBitForBitForEveryRowAndTokenCount) {
  constexpr int64_t kOutStride = 3, kTokenStride = 16;  // row r, token t at out[3r + 16t]
  bool any = false;
  for (SimdLevel level : levels()) {
    const TypeKernels& k = *type_kernels(static_cast<uint32_t>(GetParam()), level);
    if (!k.vec_dot_rows) continue;
    any = true;
    for (int64_t n : {256, 8192, 28672}) {
      std::mt19937 rng(static_cast<uint32_t>(400 + n));
      const size_t row_bytes = test::row_bytes(GetParam(), n);
      const size_t stride = row_bytes + 64;
      std::vector<uint8_t> w(stride * kMaxDotRows, 0xA5);
      for (int r = 0; r < kMaxDotRows; ++r) {
        const std::vector<uint8_t> row = random_weight_row(GetParam(), n, rng);
        ASSERT_EQ(row.size(), row_bytes);
        std::memcpy(w.data() + r * stride, row.data(), row_bytes);
      }
      for (bool zeros : {false, true}) {
        // All zeros: Q8_K blocks with d = 0 (the quantizer's special case).
        const size_t act_bytes = activation_row_bytes(k.vec_dot_type, n);
        std::vector<uint8_t> act(act_bytes * kMaxDotRowTokens);
        for (int t = 0; t < kMaxDotRowTokens; ++t) {
          const std::vector<float> x = zeros ? std::vector<float>(n, 0.0f) : random_activations(n, rng);
          k.quantize_activation(x.data(), act.data() + t * act_bytes, n);
        }
        for (int count = 1; count <= kMaxDotRows; ++count) {
          for (int tokens = 1; tokens <= kMaxDotRowTokens; ++tokens) {
            std::vector<float> out(kTokenStride * kMaxDotRowTokens, -7.0f);
            k.vec_dot_rows({n, w.data(), stride, count, act.data(), out.data(), kOutStride, tokens, act_bytes,
                            kTokenStride});
            for (size_t i = 0; i < out.size(); ++i) {
              const int64_t r = static_cast<int64_t>(i) % kTokenStride / kOutStride;
              const int64_t t = static_cast<int64_t>(i) / kTokenStride;
              const bool written = static_cast<int64_t>(i) % kTokenStride % kOutStride == 0 && r < count && t < tokens;
              if (!written) {
                EXPECT_EQ(out[i], -7.0f) << "rows=" << count << " tokens=" << tokens << " out[" << i << "]";
                continue;
              }
              const float expected = k.vec_dot(n, w.data() + r * stride, act.data() + t * act_bytes);
              EXPECT_EQ(bits_of(out[i]), bits_of(expected))
                  << simd_level_name(level) << " n=" << n << " rows=" << count << " tokens=" << tokens << " row " << r
                  << " token " << t << " zeros=" << zeros << ": " << out[i] << " vs " << expected;
            }
          }
        }
      }
    }
  }
  if (!any) GTEST_SKIP() << "this CPU has no SIMD level with multi-row kernels (AVX2 or AVX-512)";
}

// Every quantized type above scalar has a multi-token kernel and a multi-row one beside it, of
// the same tile code; the float types have neither (matmul dots their rows one by one).
TEST(MultiRowKernels, ExistAboveScalarBesideTheMultiTokenKernels) {
  for (SimdLevel level : levels()) {
    for (GgmlType type : test::supported_weight_types()) {
      const TypeKernels& k = *type_kernels(static_cast<uint32_t>(type), level);
      const std::string what = std::string(simd_level_name(level)) + " " + ggml_type_name(static_cast<uint32_t>(type));
      EXPECT_EQ(k.vec_dot_rows != nullptr, k.vec_dot_tokens != nullptr) << what;
      if (level != SimdLevel::kScalar) {
        EXPECT_EQ(k.vec_dot_rows != nullptr, !is_float_type(type)) << what;
      } else {
        EXPECT_EQ(k.vec_dot_rows, nullptr) << what;
      }
    }
  }
}

std::string type_name(const ::testing::TestParamInfo<GgmlType>& info) {
  return ggml_type_name(static_cast<uint32_t>(info.param));
}

INSTANTIATE_TEST_SUITE_P(AllTypes, VecDot, ::testing::ValuesIn(test::supported_weight_types()), type_name);
// Every quantized type of test::supported_weight_types: each has a multi-token and a multi-row
// kernel above scalar.
const std::vector<GgmlType>& quantized_types() {
  static const std::vector<GgmlType> types = [] {
    std::vector<GgmlType> quantized;
    for (GgmlType type : test::supported_weight_types()) {
      if (!is_float_type(type)) quantized.push_back(type);
    }
    return quantized;
  }();
  return types;
}

INSTANTIATE_TEST_SUITE_P(WithTokenKernels, VecDotTokens, ::testing::ValuesIn(quantized_types()), type_name);
INSTANTIATE_TEST_SUITE_P(WithRowKernels, VecDotRows, ::testing::ValuesIn(quantized_types()), type_name);

}  // namespace
}  // namespace nt::cpu::quant
