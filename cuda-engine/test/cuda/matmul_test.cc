// The GPU matrix products against the CPU's dequantization: for every weight type, random valid
// blocks (cpu/quant_test_rows), the float kernels (matrix-vector for few tokens, the float GEMM
// for more, chosen with NT_MATMUL=fp32), odd row and token counts that leave partial tiles.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdio>
#include <functional>
#include <random>
#include <vector>

#include "cpu/quant_test_rows.h"
#include "cuda/cuda_test_device.h"
#include "cuda/kernels/matmul.h"
#include "cuda/matmul_choice.h"
#include "gguf/ggml_type.h"
#include "quant/dequantize.h"

namespace nt::cuda::test {
namespace {

struct Matrix {
  std::vector<uint8_t> bytes;   // rows × row_bytes, GGUF blocks
  std::vector<float> weights;   // the same rows dequantized on the CPU
  int64_t rows, n;
};

Matrix random_matrix(GgmlType type, int64_t rows, int64_t n, std::mt19937& rng) {
  Matrix m{{}, std::vector<float>(rows * n), rows, n};
  for (int64_t r = 0; r < rows; ++r) {
    const std::vector<uint8_t> row = cpu::test::random_weight_row(type, n, rng);
    nt::quant::dequantize_row(static_cast<uint32_t>(type), row.data(), m.weights.data() + r * n, n);
    m.bytes.insert(m.bytes.end(), row.begin(), row.end());
  }
  return m;
}

std::vector<float> gpu_matmul(GgmlType type, const Matrix& m, const std::vector<float>& x, int64_t n_tokens) {
  const DeviceBuffer<uint8_t> w = to_device(m.bytes);
  const DeviceBuffer<float> xd = to_device(x);
  DeviceBuffer<float> out(n_tokens * m.rows, "test output");
  matmul(device_view(type, w.get(), m.rows, m.n), xd.get(), n_tokens, out.get(), test_stream());
  return to_host(out.get(), n_tokens * m.rows);
}

std::string type_name(GgmlType type) { return ggml_type_name(static_cast<uint32_t>(type)); }

using cpu::test::random_tokens;

// The GPU product of m (rows x n) with n_tokens random activation rows against a double-precision
// reference on the exactly dequantized weights. The error is relative to sum |w x|: float
// accumulation of n products is off by at most about n * 2^-24 of that sum. Fails at the first
// error above `tolerance`; raises max_error to the largest seen.
void expect_double_reference(GgmlType type, const Matrix& m, int64_t rows, int64_t n, int64_t n_tokens,
                             double tolerance, std::mt19937& rng, double& max_error) {
  const std::vector<float> x = random_tokens(n, n_tokens, rng);
  const std::vector<float> out = gpu_matmul(type, m, x, n_tokens);
  for (int64_t t = 0; t < n_tokens; ++t) {
    for (int64_t r = 0; r < rows; ++r) {
      double dot = 0.0, magnitude = 0.0;
      for (int64_t i = 0; i < n; ++i) {
        const double p = double{m.weights[r * n + i]} * x[t * n + i];
        dot += p;
        magnitude += std::fabs(p);
      }
      const double error = std::fabs(out[t * rows + r] - dot) / std::max(magnitude, 1e-30);
      max_error = std::max(max_error, error);
      ASSERT_LE(error, tolerance) << type_name(type) << " " << rows << " x " << n << " row " << r << " token " << t
                                  << " of " << n_tokens << ": gpu " << out[t * rows + r] << " reference " << dot;
    }
  }
}

// Error relative to sum |w_i x_i|: float accumulation of n products is off by at most about
// n * 2^-24 of that sum, so 3e-5 holds for n = 512 in the worst case and flags any wrong element.
TEST(CudaMatmul, AgreesWithCpuDequantizationForEveryTypeAndTokenCount) {
  NT_SKIP_WITHOUT_CUDA();
  // The float GEMM: the quantized types' default, the tensor cores on 8-bit activations, has its
  // own tests (matmul_mma_test.cc) with its own bounds.
  const ScopedMatmulChoice float_kernels("fp32");
  const int64_t rows = 131, n = 512;
  for (GgmlType type : cpu::test::supported_weight_types()) {
    std::mt19937 rng(static_cast<uint32_t>(type) + 7);
    const Matrix m = random_matrix(type, rows, n, rng);
    double max_error = 0.0;
    for (int64_t n_tokens : {1, 2, 3, 4, 5, 7, 8, 9, 17, 64, 65, 130}) {
      ASSERT_NO_FATAL_FAILURE(expect_double_reference(type, m, rows, n, n_tokens, 3e-5, rng, max_error));
    }
    std::printf("  %-5s max error %.3g (relative to sum |w x|)\n", type_name(type).c_str(), max_error);
  }
}

// The matrix-vector kernels' other shapes: many rows (more rows per CTA or warp, a partial last
// group) with one and two tokens, and long rows whose super-blocks outnumber a CTA's 16 slots
// (several steps, some slots idle in the last), against the same double reference.
TEST(CudaMatmul, MatrixVectorAgreesOnManyRowsAndLongRows) {
  NT_SKIP_WITHOUT_CUDA();
  const ScopedMatmulChoice float_kernels("fp32");  // the float kernel, whatever the default takes
  struct Shape {
    int64_t rows, n;
    std::vector<int64_t> token_counts;
  };
  const std::vector<Shape> shapes = {{8195, 768, {1, 2}}, {37, 256 * 19, {1, 2, 3, 4, 5, 8}}};
  for (const Shape& shape : shapes)
  for (GgmlType type : cpu::test::supported_weight_types()) {
    std::mt19937 rng(static_cast<uint32_t>(type) + 1234);
    const Matrix m = random_matrix(type, shape.rows, shape.n, rng);
    const int64_t rows = shape.rows, n = shape.n;
    for (int64_t n_tokens : shape.token_counts) {
      double max_error = 0.0;
      const double tolerance = std::max(3e-5, static_cast<double>(n) * 6e-8);
      ASSERT_NO_FATAL_FAILURE(expect_double_reference(type, m, rows, n, n_tokens, tolerance, rng, max_error));
    }
  }
}

// The product of m with n_tokens one-hot rows (token t's 1 at element hot(t)) on the GPU, against
// the CPU's dequantized weights bit for bit; reports the first three mismatches and returns how
// many there were.
int one_hot_mismatches(GgmlType type, const Matrix& m, const DeviceBuffer<uint8_t>& w, int64_t n_tokens,
                       const std::function<int64_t(int64_t)>& hot) {
  const int64_t rows = m.rows, n = m.n;
  std::vector<float> x(n_tokens * n, 0.0f);
  for (int64_t t = 0; t < n_tokens; ++t) x[t * n + hot(t)] = 1.0f;
  const DeviceBuffer<float> xd = to_device(x);
  DeviceBuffer<float> out_d(n_tokens * rows, "test output");
  matmul(device_view(type, w.get(), rows, n), xd.get(), n_tokens, out_d.get(), test_stream());
  const std::vector<float> out = to_host(out_d.get(), n_tokens * rows);
  int mismatches = 0;
  for (int64_t t = 0; t < n_tokens; ++t) {
    for (int64_t r = 0; r < rows; ++r) {
      const float expected = m.weights[r * n + hot(t)];
      if (out[t * rows + r] != expected && ++mismatches <= 3) {
        ADD_FAILURE() << type_name(type) << " element " << hot(t) << " of row " << r << " with " << n_tokens
                      << " tokens: gpu " << out[t * rows + r] << ", cpu " << expected;
      }
    }
  }
  return mismatches;
}

// With one-hot activations each output is a single dequantized weight, which must equal the CPU's
// bit for bit (the kernels round as quant::dequantize_row does), in both kernels. Hot elements
// (k * 37) % n for k = 0..7 (every sub-block, low and high nibbles), spread over the tokens of
// each call: 1, 2 and 8 tokens (the matrix-vector kernel's variants), n (the GEMM).
TEST(CudaMatmul, DequantizesEveryTypeBitExactlyAsTheCpu) {
  NT_SKIP_WITHOUT_CUDA();
  const ScopedMatmulChoice float_kernels("fp32");  // one-hot rows would not survive 8-bit activations
  const int64_t n = 256;
  // 67 rows: one row per warp (two per CTA for the formats with matvec_part); 8205: four rows per warp (per CTA
  // with one or two tokens for those) with a partial last warp (CTA).
  for (int64_t rows : {67, 8205})
  for (GgmlType type : cpu::test::supported_weight_types()) {
    std::mt19937 rng(static_cast<uint32_t>(type) + 99);
    const Matrix m = random_matrix(type, rows, n, rng);
    const DeviceBuffer<uint8_t> w = to_device(m.bytes);
    for (int64_t n_tokens : {int64_t{1}, int64_t{2}, int64_t{8}, n}) {
      for (int64_t first = 0; first < 8; first += n_tokens) {
        const int mismatches = one_hot_mismatches(type, m, w, n_tokens, [&](int64_t t) { return ((first + t) * 37) % n; });
        EXPECT_EQ(mismatches, 0) << type_name(type) << " with " << n_tokens << " tokens";
      }
    }
  }
}

// The super-block formats (Q2_K .. Q6_K) in the matrix-vector kernel with one-hot activations at
// every element of two super-blocks (each lane, sub-block and quant bit position; for the 84- and
// 110-byte blocks both alignments a row's blocks take), bit for bit against the CPU: one token and
// two (four rows per CTA, 8205 rows), three and eight (two rows per CTA, the rolled loop, 67 rows).
TEST(CudaMatmul, MatrixVectorOnSuperBlocksIsBitExactAtEveryElement) {
  NT_SKIP_WITHOUT_CUDA();
  const ScopedMatmulChoice float_kernels("fp32");  // the float kernel, whatever the default takes
  const int64_t n = 512;
  for (GgmlType type : cpu::test::supported_weight_types()) {
    const auto layout = ggml_block_layout(static_cast<uint32_t>(type));
    if (!layout || layout->block_elements != 256) continue;
    for (int64_t rows : {8205, 67}) {
      std::mt19937 rng(static_cast<uint32_t>(type) + 777);
      const Matrix m = random_matrix(type, rows, n, rng);
      const DeviceBuffer<uint8_t> w = to_device(m.bytes);
      for (int64_t n_tokens : rows > 8192 ? std::vector<int64_t>{1, 2} : std::vector<int64_t>{3, 8}) {
        int mismatches = 0;
        for (int64_t first = 0; first < n; first += n_tokens) {
          mismatches += one_hot_mismatches(type, m, w, n_tokens, [&](int64_t t) { return (first + t) % n; });
        }
        EXPECT_EQ(mismatches, 0) << type_name(type) << " " << rows << " rows, " << n_tokens << " tokens";
      }
    }
  }
}

// The 32-element block formats (Q4_0, Q4_1, Q5_0, Q5_1, Q8_0) in the matrix-vector kernel on rows
// of an odd number of blocks: row starts (and the tensor's end) at every alignment their 18-, 20-,
// 22-, 24- and 34-byte blocks allow, several steps per slot with idle slots in the last, one row
// and four rows per CTA, against the double reference; then one-hot activations bit for bit.
TEST(CudaMatmul, MatrixVectorOnLegacyRowsOfAnOddBlockCount) {
  NT_SKIP_WITHOUT_CUDA();
  const ScopedMatmulChoice float_kernels("fp32");  // the float kernel, whatever the default takes
  const int64_t n = 32 * 37;
  for (int64_t rows : {67, 8197})
  for (GgmlType type : cpu::test::supported_weight_types()) {
    const auto layout = ggml_block_layout(static_cast<uint32_t>(type));
    if (!layout || layout->block_elements != 32) continue;
    std::mt19937 rng(static_cast<uint32_t>(type) + 4321);
    const Matrix m = random_matrix(type, rows, n, rng);
    for (int64_t n_tokens : {1, 2, 3, 8}) {
      double max_error = 0.0;
      const double tolerance = std::max(3e-5, static_cast<double>(n) * 6e-8);
      ASSERT_NO_FATAL_FAILURE(expect_double_reference(type, m, rows, n, n_tokens, tolerance, rng, max_error));
    }
    // One-hot: element 0, the last element, and elements in both halves of blocks at both
    // alignments; eight tokens, one hot element each.
    const int64_t n_tokens = 8;
    const int64_t hot[n_tokens] = {0, 5, 17, 32 + 3, 32 + 28, 32 * 18 + 11, 32 * 36 + 16, n - 1};
    std::vector<float> x(n_tokens * n, 0.0f);
    for (int64_t t = 0; t < n_tokens; ++t) x[t * n + hot[t]] = 1.0f;
    const std::vector<float> out = gpu_matmul(type, m, x, n_tokens);
    int mismatches = 0;
    for (int64_t t = 0; t < n_tokens; ++t) {
      for (int64_t r = 0; r < rows; ++r) {
        const float expected = m.weights[r * n + hot[t]];
        if (out[t * rows + r] != expected && ++mismatches <= 3) {
          ADD_FAILURE() << type_name(type) << " element " << hot[t] << " of row " << r << ": gpu " << out[t * rows + r]
                        << ", cpu " << expected;
        }
      }
    }
    EXPECT_EQ(mismatches, 0) << type_name(type) << " " << rows << " rows";
  }
}

TEST(CudaMatmul, RefusesAMisalignedTensor) {
  NT_SKIP_WITHOUT_CUDA();
  DeviceBuffer<uint8_t> bytes(4096, "test weights");
  DeviceBuffer<float> x(256, "x"), out(16, "out");
  TensorView w = device_view(GgmlType::Q4_K, bytes.get(), 1, 256);
  w.data += 2;
  try {
    matmul(w, x.get(), 1, out.get(), test_stream());
    FAIL() << "a misaligned tensor was accepted";
  } catch (const EngineError& e) {
    EXPECT_EQ(e.code(), "NT_E_INTERNAL");
  }
}

}  // namespace
}  // namespace nt::cuda::test
