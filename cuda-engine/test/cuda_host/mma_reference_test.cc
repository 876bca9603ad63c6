// The CPU reference of the tensor-core GEMM (mma_reference.h) against exact products: per weight
// type, the difference from a double-precision product of the dequantized weights with the float
// activations stays within what rounding the activations to 8 bits allows (sum over blocks of
// d / 2 * sum |w|) plus float accumulation (2^-20 of sum |w x|, generous for n <= 1024). So the
// GPU, which must equal this reference bit for bit, computes the right product.
#include <gtest/gtest.h>

#include <cmath>
#include <random>
#include <vector>

#include "cpu/quant_test_rows.h"
#include "cuda/kernels/q8_split.h"
#include "cuda_host/mma_reference.h"
#include "quant/dequantize.h"

namespace nt::cuda::mma::test {
namespace {

using ::nt::cuda::mma::matvec_splits;
using ::nt::cuda::mma::split_range;

TEST(MmaReference, StaysWithinTheActivationRoundingOfTheExactProduct) {
  std::mt19937 rng(1414);
  for (const GgmlType type : mma_weight_types()) {
    for (const int64_t n : {int64_t{256}, int64_t{1024}}) {
      const int64_t rows = 5, n_tokens = 3;
      std::vector<uint8_t> w;
      std::vector<float> weights(rows * n);
      for (int64_t r = 0; r < rows; ++r) {
        const std::vector<uint8_t> row = cpu::test::random_weight_row(type, n, rng);
        nt::quant::dequantize_row(static_cast<uint32_t>(type), row.data(), weights.data() + r * n, n);
        w.insert(w.end(), row.begin(), row.end());
      }
      std::vector<float> x;
      for (int64_t t = 0; t < n_tokens; ++t) {
        const std::vector<float> row = cpu::test::random_activations(n, rng);
        x.insert(x.end(), row.begin(), row.end());
      }
      // The GEMM's order, and the decode kernel's with one split and with three.
      for (const std::vector<float>& out : {reference_product(type, w.data(), rows, n, x.data(), n_tokens),
                                            reference_matvec(type, w.data(), rows, n, x.data(), n_tokens, 1),
                                            reference_matvec(type, w.data(), rows, n, x.data(), n_tokens, 3)}) {
      ASSERT_EQ(out.size(), static_cast<size_t>(rows * n_tokens));
      for (int64_t t = 0; t < n_tokens; ++t) {
        for (int64_t r = 0; r < rows; ++r) {
          double exact = 0.0, magnitude = 0.0;
          for (int64_t i = 0; i < n; ++i) {
            exact += double{weights[r * n + i]} * x[t * n + i];
            magnitude += std::fabs(double{weights[r * n + i]} * x[t * n + i]);
          }
          const double bound =
              activation_rounding_bound(weights.data() + r * n, x.data() + t * n, n) * (1 + 1e-6) + magnitude * 0x1p-20;
          EXPECT_LE(std::fabs(out[t * rows + r] - exact), bound)
              << ggml_type_name(static_cast<uint32_t>(type)) << " n " << n << " row " << r << " token " << t;
        }
      }
      }
    }
  }
}

// The decode kernel's split: consecutive ranges of 32-value slices, in order, covering them all.
TEST(MmaReference, MatvecSplitsTheReductionIntoConsecutiveRanges) {
  int64_t begin, end;
  split_range(100, 3, 0, begin, end);
  EXPECT_EQ(begin, 0);
  EXPECT_EQ(end, 34);
  split_range(100, 3, 2, begin, end);
  EXPECT_EQ(begin, 68);
  EXPECT_EQ(end, 100);
  split_range(2, 4, 3, begin, end);  // more splits than slices: the last ones are empty
  EXPECT_EQ(begin, 2);
  EXPECT_EQ(end, 2);
}

TEST(MmaReference, MatvecSplitsOnlyMatricesTooSmallToFillTheGpu) {
  // 132 SMs (an H100): 1056 CTAs of 4 rows fill it.
  EXPECT_EQ(matvec_splits(14336, 4096, 132), 1);   // 3584 CTAs
  EXPECT_EQ(matvec_splits(4096, 4096, 132), 2);    // 1024 CTAs: two splits
  EXPECT_EQ(matvec_splits(1024, 4096, 132), 4);    // at most n / 1024 splits (32 slices of 32 each)
  EXPECT_EQ(matvec_splits(1024, 14336, 132), 5);   // 256 CTAs: ceil(1056 / 256)
  EXPECT_EQ(matvec_splits(8, 256, 132), 1);        // too short to split
  EXPECT_EQ(matvec_splits(1, 1 << 20, 132), kMatvecMaxSplits);
}

}  // namespace
}  // namespace nt::cuda::mma::test
