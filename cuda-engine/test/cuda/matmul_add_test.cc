// matmul_add puts the residual connection into the product's last store: out + product must be
// bit for bit what matmul then the CPU's residual add give (one float addition of the same two
// values), in both kernels (matrix-vector for few tokens, GEMM for more).
#include <gtest/gtest.h>

#include <random>
#include <vector>

#include "cpu/quant_test_rows.h"
#include "cuda/cuda_test_device.h"
#include "cuda/kernels/matmul.h"
#include "gguf/ggml_type.h"

namespace nt::cuda::test {
namespace {

TEST(CudaMatmulAdd, AddsTheProductIntoTheResidualExactly) {
  NT_SKIP_WITHOUT_CUDA();
  std::mt19937 rng(7);
  const int64_t rows = 300, n = 512;
  for (const GgmlType type : {GgmlType::F32, GgmlType::Q8_0, GgmlType::Q4_K, GgmlType::Q6_K}) {
    std::vector<uint8_t> bytes;
    for (int64_t r = 0; r < rows; ++r) {
      const std::vector<uint8_t> row = cpu::test::random_weight_row(type, n, rng);
      bytes.insert(bytes.end(), row.begin(), row.end());
    }
    const DeviceBuffer<uint8_t> w = to_device(bytes);
    const TensorView view = device_view(type, w.get(), rows, n);
    for (const int64_t n_tokens : {int64_t{1}, int64_t{3}, int64_t{8}, int64_t{37}}) {
      std::vector<float> x, residual;
      for (int64_t t = 0; t < n_tokens; ++t) {
        const std::vector<float> xr = cpu::test::random_activations(n, rng);
        x.insert(x.end(), xr.begin(), xr.end());
        const std::vector<float> rr = cpu::test::random_activations(rows, rng);
        residual.insert(residual.end(), rr.begin(), rr.end());
      }
      const DeviceBuffer<float> xd = to_device(x);
      DeviceBuffer<float> product(n_tokens * rows, "test product");
      matmul(view, xd.get(), n_tokens, product.get(), test_stream());
      const std::vector<float> p = to_host(product.get(), product.size());
      DeviceBuffer<float> out = to_device(residual);
      matmul_add(view, xd.get(), n_tokens, out.get(), test_stream());
      const std::vector<float> sum = to_host(out.get(), out.size());
      for (size_t i = 0; i < sum.size(); ++i) {
        ASSERT_EQ(sum[i], residual[i] + p[i]) << ggml_type_name(static_cast<uint32_t>(type)) << " " << n_tokens
                                              << " tokens, element " << i;
      }
    }
  }
}

}  // namespace
}  // namespace nt::cuda::test
