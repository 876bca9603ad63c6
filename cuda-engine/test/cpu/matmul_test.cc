#include "cpu/matmul.h"

#include <gtest/gtest.h>

#include <string>
#include <utility>
#include <vector>

#include "core/engine_error.h"
#include "cpu/quant/type_table.h"
#include "cpu/quant_test_rows.h"

namespace nt::cpu {
namespace {

std::vector<SimdLevel> levels() {
  std::vector<SimdLevel> result = {SimdLevel::kScalar};
  if (cpu_has_avx2()) result.push_back(SimdLevel::kAvx2);
  if (cpu_has_avx512()) result.push_back(SimdLevel::kAvx512);
  return result;
}

struct Matrix {
  std::vector<uint8_t> bytes;
  TensorView view;
};

Matrix random_matrix(GgmlType type, int64_t n, int64_t rows, std::mt19937& rng) {
  Matrix m;
  for (int64_t r = 0; r < rows; ++r) {
    const auto row = test::random_weight_row(type, n, rng);
    m.bytes.insert(m.bytes.end(), row.begin(), row.end());
  }
  m.view.data = m.bytes.data();
  m.view.type = static_cast<uint32_t>(type);
  m.view.ne[0] = n;
  m.view.ne[1] = rows;
  return m;
}

// matmul is the kernels' per-row dot, for every token, row tile and thread split: it must equal
// quantizing each token and calling vec_dot on each row, bit for bit.
std::vector<float> per_row_dots(const Matrix& m, const std::vector<float>& x, int64_t n_tokens, SimdLevel level) {
  const quant::TypeKernels& k = *quant::type_kernels(m.view.type, level);
  const int64_t n = m.view.ne[0], rows = m.view.rows();
  std::vector<uint8_t> act(quant::activation_row_bytes(k.vec_dot_type, n));
  std::vector<float> out(n_tokens * rows);
  for (int64_t t = 0; t < n_tokens; ++t) {
    k.quantize_activation(x.data() + t * n, act.data(), n);
    for (int64_t r = 0; r < rows; ++r) out[t * rows + r] = k.vec_dot(n, m.view.row(r), act.data());
  }
  return out;
}

// matmul of n_tokens random tokens with m, at every SIMD level, on one thread and on two, is
// per_row_dots bit for bit (and writes every output).
void expect_per_row_dots(const Matrix& m, int64_t n_tokens, std::mt19937& rng) {
  const int64_t n = m.view.ne[0], rows = m.view.rows();
  ThreadPool one(1), two(2);
  const auto x = test::random_activations(n * n_tokens, rng);
  for (SimdLevel level : levels()) {
    const auto expected = per_row_dots(m, x, n_tokens, level);
    for (ThreadPool* pool : {&one, &two}) {
      std::vector<float> out(n_tokens * rows, -1.0f);
      matmul(m.view, x.data(), n_tokens, out.data(), *pool, level);
      EXPECT_EQ(out, expected) << simd_level_name(level) << " tokens=" << n_tokens << " threads=" << pool->size();
    }
  }
}

class Matmul : public ::testing::TestWithParam<GgmlType> {};

TEST_P(Matmul, EqualsPerRowDotsForEveryTokenCountAndThreadCount) {
  std::mt19937 rng(11);
  // More than one row tile, not a multiple of the tile or thread count; the pool cuts 37 rows
  // into chunks of 9-10 rows (one thread) or 4-5 (two): decode's multi-row calls of 1 to 4 rows.
  const Matrix m = random_matrix(GetParam(), 512, 37, rng);
  // Every count up to two token tiles and one more (the multi-token kernels' 1..8 and their
  // remainders), and 20.
  for (int64_t n_tokens = 1; n_tokens <= 20; n_tokens = n_tokens == 17 ? 20 : n_tokens + 1) {
    expect_per_row_dots(m, n_tokens, rng);
  }
}

// One token on rows as long as a 70B's down (28672 elements), where each multi-row call loads an
// activation block once for its four rows; the pool cuts 23 rows into chunks of 5-6 rows (one
// thread) or 2-3 (two): calls of 1 to 4 rows.
TEST_P(Matmul, OneTokenOnLongRowsEqualsPerRowDots) {
  std::mt19937 rng(14);
  expect_per_row_dots(random_matrix(GetParam(), 28672, 23, rng), 1, rng);
}

// One to four tokens on enough rows that each thread's chunk holds groups of 64 rows, which
// decode dots four rows per call, 16 rows apart (matmul.cc: four streams), then the chunk's rest
// as four streams of fewer rows and a last call of one to three; and five tokens, past the
// streams, in tiles. The pool cuts 700 rows into four chunks of 175 rows (one thread: two groups,
// four streams of 11 rows, 3 rows) or eight of 87-88 (two: one group, four streams of 5-6 rows,
// 0-3 rows).
TEST_P(Matmul, DecodeOnManyRowsEqualsPerRowDots) {
  std::mt19937 rng(15);
  const Matrix m = random_matrix(GetParam(), 512, 700, rng);
  for (int64_t n_tokens = 1; n_tokens <= 5; ++n_tokens) expect_per_row_dots(m, n_tokens, rng);
}

TEST_P(Matmul, TreatsHigherDimensionsAsMoreRows) {
  std::mt19937 rng(12);
  Matrix m = random_matrix(GetParam(), 256, 12, rng);
  m.view.ne[1] = 3;
  m.view.ne[2] = 2;
  m.view.ne[3] = 2;
  const auto x = test::random_activations(256 * 2, rng);
  ThreadPool pool(2);
  std::vector<float> out(2 * 12);
  matmul(m.view, x.data(), 2, out.data(), pool, SimdLevel::kScalar);
  EXPECT_EQ(out, per_row_dots(m, x, 2, SimdLevel::kScalar));
}

std::string type_name(const ::testing::TestParamInfo<GgmlType>& info) {
  return ggml_type_name(static_cast<uint32_t>(info.param));
}

INSTANTIATE_TEST_SUITE_P(AllTypes, Matmul, ::testing::ValuesIn(test::supported_weight_types()), type_name);

// A group is each of its products as matmul computes it alone, bit for bit, whatever the mix of
// types (Q8_K, Q8_0 and F32 activations in one group), sizes, token count and thread count.
TEST(MatmulGroup, EqualsEachProductAlone) {
  std::mt19937 rng(13);
  const int64_t n = 512;
  const std::vector<std::pair<GgmlType, int64_t>> shapes = {
      {GgmlType::Q4_K, 37}, {GgmlType::Q6_K, 5}, {GgmlType::Q4_K, 64}, {GgmlType::Q8_0, 19}, {GgmlType::F32, 3}};
  std::vector<Matrix> matrices;
  for (const auto& [type, rows] : shapes) matrices.push_back(random_matrix(type, n, rows, rng));
  ThreadPool one(1), two(2);
  for (SimdLevel level : levels()) {
    for (int64_t n_tokens : {1, 7, 9, 20}) {
      const auto x = test::random_activations(n * n_tokens, rng);
      for (ThreadPool* pool : {&one, &two}) {
        std::vector<std::vector<float>> outs, alone;
        std::vector<MatmulProduct> products;
        for (const Matrix& m : matrices) {
          outs.emplace_back(n_tokens * m.view.rows(), -1.0f);
          alone.emplace_back(n_tokens * m.view.rows(), -2.0f);
          matmul(m.view, x.data(), n_tokens, alone.back().data(), *pool, level);
        }
        for (size_t i = 0; i < matrices.size(); ++i) products.push_back({&matrices[i].view, outs[i].data()});
        matmul_group(products.data(), static_cast<int>(products.size()), x.data(), n_tokens, *pool, level);
        for (size_t i = 0; i < matrices.size(); ++i) {
          EXPECT_EQ(outs[i], alone[i]) << simd_level_name(level) << " product " << i << " tokens=" << n_tokens
                                       << " threads=" << pool->size();
        }
      }
    }
  }
}

TEST(MatmulGroup, RefusesProductsOfDifferentWidths) {
  std::mt19937 rng(14);
  const Matrix a = random_matrix(GgmlType::Q4_K, 256, 2, rng), b = random_matrix(GgmlType::Q4_K, 512, 2, rng);
  std::vector<float> x(512), out_a(2), out_b(2);
  const MatmulProduct products[] = {{&a.view, out_a.data()}, {&b.view, out_b.data()}};
  ThreadPool pool(1);
  try {
    matmul_group(products, 2, x.data(), 1, pool);
    FAIL() << "no exception";
  } catch (const EngineError& e) {
    EXPECT_EQ(e.code(), "NT_E_INTERNAL");
  }
}

TEST(MatmulErrors, RefusesATypeItCannotComputeWith) {
  std::vector<uint8_t> bytes(1024);
  TensorView w;
  w.data = bytes.data();
  w.type = static_cast<uint32_t>(GgmlType::IQ4_NL);
  w.ne[0] = 32;
  std::vector<float> x(32), out(1);
  ThreadPool pool(1);
  try {
    matmul(w, x.data(), 1, out.data(), pool);
    FAIL() << "no exception";
  } catch (const EngineError& e) {
    EXPECT_EQ(e.code(), "NT_E_UNSUPPORTED");
    EXPECT_NE(std::string(e.what()).find("IQ4_NL"), std::string::npos);
  }
}

TEST(MatmulErrors, RefusesARowThatIsNotWholeBlocks) {
  std::vector<uint8_t> bytes(1024);
  TensorView w;
  w.data = bytes.data();
  w.type = static_cast<uint32_t>(GgmlType::Q4_K);
  w.ne[0] = 128;
  std::vector<float> x(128), out(1);
  ThreadPool pool(1);
  try {
    matmul(w, x.data(), 1, out.data(), pool);
    FAIL() << "no exception";
  } catch (const EngineError& e) {
    EXPECT_EQ(e.code(), "NT_E_INTERNAL");
  }
}

}  // namespace
}  // namespace nt::cpu
