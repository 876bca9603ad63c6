// Float rows whose length is not a multiple of 8 (a small model's n_ff of 172) take their own
// kernel: checked against a double-precision product for every float format, decode and prompt
// token counts, and the residual form.
#include <gtest/gtest.h>

#include <cmath>
#include <random>
#include <vector>

#include "cpu/quant_test_rows.h"
#include "cuda/cuda_test_device.h"
#include "cuda/kernels/matmul.h"
#include "gguf/ggml_type.h"
#include "quant/dequantize.h"

namespace nt::cuda::test {
namespace {

TEST(CudaMatmulRagged, MultipliesRowsOfAnyLength) {
  NT_SKIP_WITHOUT_CUDA();
  std::mt19937 rng(11);
  const int64_t rows = 70;
  for (const GgmlType type : {GgmlType::F32, GgmlType::F16, GgmlType::BF16}) {
    for (const int64_t n : {int64_t{1}, int64_t{13}, int64_t{172}}) {
      std::vector<uint8_t> bytes;
      std::vector<float> weights(static_cast<size_t>(rows * n));
      for (int64_t r = 0; r < rows; ++r) {
        const std::vector<uint8_t> row = cpu::test::random_weight_row(type, n, rng);
        nt::quant::dequantize_row(static_cast<uint32_t>(type), row.data(), weights.data() + r * n, n);
        bytes.insert(bytes.end(), row.begin(), row.end());
      }
      const DeviceBuffer<uint8_t> w = to_device(bytes);
      const TensorView view = device_view(type, w.get(), rows, n);
      for (const int64_t n_tokens : {int64_t{1}, int64_t{20}}) {
        std::vector<float> x;
        for (int64_t t = 0; t < n_tokens; ++t) {
          const std::vector<float> row = cpu::test::random_activations(n, rng);
          x.insert(x.end(), row.begin(), row.end());
        }
        const std::vector<float> residual(static_cast<size_t>(n_tokens * rows), 0.5f);
        const DeviceBuffer<float> xd = to_device(x);
        DeviceBuffer<float> out = to_device(residual);
        matmul_add(view, xd.get(), n_tokens, out.get(), test_stream());
        const std::vector<float> got = to_host(out.get(), out.size());
        for (int64_t t = 0; t < n_tokens; ++t) {
          for (int64_t r = 0; r < rows; ++r) {
            double dot = 0.0, magnitude = 0.0;
            for (int64_t i = 0; i < n; ++i) {
              dot += double{weights[r * n + i]} * x[t * n + i];
              magnitude += std::fabs(double{weights[r * n + i]} * x[t * n + i]);
            }
            ASSERT_NEAR(got[t * rows + r], 0.5 + dot, 1e-5 * (magnitude + 1.0))
                << ggml_type_name(static_cast<uint32_t>(type)) << " n " << n << " row " << r << " token " << t;
          }
        }
      }
    }
  }
}

}  // namespace
}  // namespace nt::cuda::test
