// Decode-kernel speed on the matrices of a Llama-8B layer, cold: enough copies of each matrix are
// cycled that none is still in the 50 MB L2 when it is read again (a model's 4.6 GB never is),
// which the single-matrix figures of matmul_speed_test overstate. Each shape is timed through
// cuda::matmul (what the model runs) and through every (rows per block, threads per block: r4t64 = 4 rows, 64 threads)
// variant of the blocks kernel, to choose the dispatch in matvec.cuh. Disabled by default (it
// asserts nothing); run on the GPU machine with --gtest_also_run_disabled_tests.
#include <gtest/gtest.h>

#include <cstdio>
#include <functional>
#include <random>
#include <vector>

#include "cpu/quant_test_rows.h"
#include "cuda/cuda_test_device.h"
#include "cuda/kernels/matmul.h"
#include "cuda/kernels/matvec.cuh"
#include "cuda/quant/q4_k.cuh"
#include "cuda/quant/q6_k.cuh"
#include "cuda/quant/q8_0.cuh"

namespace nt::cuda::test {
namespace {

constexpr uint64_t kColdBytes = 1ull << 30;  // 20x the L2

// GB/s of `launch(copy)` over the cycled copies (one untimed round first).
double cold_gbps(uint64_t matrix_bytes, int copies, const std::function<void(int)>& launch) {
  const float ms = time_ms([&] {
    for (int c = 0; c < copies; ++c) launch(c);
  }, 3);
  return static_cast<double>(matrix_bytes) * copies / (ms * 1e6);
}

template <class Q>
void report(GgmlType type, int64_t rows, int64_t n) {
  std::mt19937 rng(1);
  const std::vector<uint8_t> row = cpu::test::random_weight_row(type, n, rng);
  const uint64_t matrix_bytes = row.size() * rows;
  const int copies = static_cast<int>(std::max<uint64_t>(2, kColdBytes / matrix_bytes));
  std::vector<uint8_t> bytes;
  bytes.reserve(matrix_bytes * copies);
  for (int64_t r = 0; r < rows * copies; ++r) bytes.insert(bytes.end(), row.begin(), row.end());
  const DeviceBuffer<uint8_t> w = to_device(bytes);
  const DeviceBuffer<float> x = to_device(cpu::test::random_activations(n, rng));
  DeviceBuffer<float> out(rows, "out");
  const auto args = [&](int c) {
    return MatmulArgs{w.get() + c * matrix_bytes, row.size(), rows, n, x.get(), 1, out.get(), false};
  };
  std::printf("  %-5s %5lld x %5lld %5.1f MB: matmul %5.0f", ggml_type_name(static_cast<uint32_t>(type)).c_str(),
              static_cast<long long>(rows), static_cast<long long>(n), matrix_bytes / 1e6,
              cold_gbps(matrix_bytes, copies, [&](int c) {
                matmul(device_view(type, w.get() + c * matrix_bytes, rows, n), x.get(), 1, out.get(), test_stream());
              }));
  const auto variant = [&](const char* name, void (*launch)(const MatmulArgs&, cudaStream_t)) {
    std::printf("  %s %5.0f", name, cold_gbps(matrix_bytes, copies, [&](int c) { launch(args(c), test_stream()); }));
  };
  variant("r2t128", launch_matvec_blocks_rows<Q, 1, 2, 128>);
  variant("r4t128", launch_matvec_blocks_rows<Q, 1, 4, 128>);
  variant("r4t64", launch_matvec_blocks_rows<Q, 1, 4, 64>);
  variant("r8t64", launch_matvec_blocks_rows<Q, 1, 8, 64>);
  variant("r4t32", launch_matvec_blocks_rows<Q, 1, 4, 32>);
  std::printf("  GB/s\n");
}

TEST(CudaMatvecShapesSpeed, DISABLED_ReportsColdDecodeBandwidthOnLlama8BLayerShapes) {
  NT_SKIP_WITHOUT_CUDA();
  const int64_t shapes[][2] = {{4096, 4096}, {1024, 4096}, {14336, 4096}, {4096, 14336}};
  for (const auto& s : shapes) report<quant::Q4_K>(GgmlType::Q4_K, s[0], s[1]);
  for (const auto& s : shapes) report<quant::Q6_K>(GgmlType::Q6_K, s[0], s[1]);
  for (const auto& s : shapes) report<quant::Q8_0>(GgmlType::Q8_0, s[0], s[1]);
}

}  // namespace
}  // namespace nt::cuda::test
