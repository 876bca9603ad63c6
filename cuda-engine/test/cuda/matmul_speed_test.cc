// Speed of the matmul kernels on Llama-8B-sized matrices (14336 × 4096 and 4096 × 4096): decode
// bandwidth against the weights' bytes at 1, 2, 4 and 8 tokens with NT_MATMUL=fp32 (the float
// matrix-vector kernel), NT_MATMUL=int8 (the 8-bit decode kernel) and the default (whichever of the
// two cuda/kernels/q8_choice.h takes: it should read as the faster of the two), FLOP rate at 16, 32 (with
// bandwidth: batched decode), 64 and 512 tokens (prefill) with the default
// kernels (the tensor cores for the quantized types) and with NT_MATMUL=fp32 (the float GEMM), side
// by side, then the integer GEMM at 64, 128, 512 and 2048 tokens on each tile it may take for them
// (NT_MMA_TILE=32, 64, 128x64, 128, 128p, 128s; mma_tiles.h). Disabled by default (it asserts nothing);
// run on the GPU machine with --gtest_also_run_disabled_tests.
#include <gtest/gtest.h>

#include <cstdio>
#include <random>
#include <vector>

#include "cpu/quant_test_rows.h"
#include "cuda/cuda_test_device.h"
#include "cuda/kernels/matmul.h"
#include "cuda/matmul_choice.h"

namespace nt::cuda::test {
namespace {

TEST(CudaMatmulSpeed, DISABLED_ReportsDecodeBandwidthAndPrefillFlops) {
  NT_SKIP_WITHOUT_CUDA();
  const int64_t n = 4096;
  // 14336 rows (the up and gate projections) and 4096 (q and o: half a wave of one-row warps, where
  // the 8-bit decode kernel splits the reduction).
  for (const int64_t rows : {int64_t{14336}, int64_t{4096}})
  for (GgmlType type : cpu::test::supported_weight_types()) {
    std::mt19937 rng(1);
    // One random row repeated: the kernels' speed does not depend on the values.
    const std::vector<uint8_t> row = cpu::test::random_weight_row(type, n, rng);
    std::vector<uint8_t> bytes;
    bytes.reserve(row.size() * rows);
    for (int64_t r = 0; r < rows; ++r) bytes.insert(bytes.end(), row.begin(), row.end());
    const DeviceBuffer<uint8_t> w = to_device(bytes);
    const TensorView view = device_view(type, w.get(), rows, n);
    const int64_t max_tokens = 2048;
    const std::vector<float> x = cpu::test::random_activations(n * max_tokens, rng);
    const DeviceBuffer<float> xd = to_device(x);
    DeviceBuffer<float> out(rows * max_tokens, "out");
    std::printf("  %-5s %5lld rows %6.1f MB:", ggml_type_name(view.type).c_str(), static_cast<long long>(rows),
                bytes.size() / 1e6);
    for (const char* choice : {"fp32", "int8", static_cast<const char*>(nullptr)}) {
      if (choice && (type == GgmlType::F32 || type == GgmlType::F16 || type == GgmlType::BF16)) continue;
      const ScopedMatmulChoice kernels(choice);
      for (int64_t tokens : {1, 2, 4, 8}) {
        const float ms = time_ms([&] { matmul(view, xd.get(), tokens, out.get(), test_stream()); }, 20);
        std::printf("  %s n=%lld %6.0f GB/s", choice ? choice : "default", static_cast<long long>(tokens),
                    bytes.size() / (ms * 1e6));
      }
    }
    for (const char* choice : {static_cast<const char*>(nullptr), "fp32"}) {
      const ScopedMatmulChoice kernels(choice);
      for (int64_t tokens : {16, 32, 64, 512}) {
        const float ms = time_ms([&] { matmul(view, xd.get(), tokens, out.get(), test_stream()); }, 5);
        std::printf("  %s n=%lld %5.1f TFLOP/s", choice ? choice : "default", static_cast<long long>(tokens),
                    2.0 * rows * n * tokens / (ms * 1e9));
        // A few sequences decoding together: how close to one read of the weights.
        if (tokens <= 32) std::printf(" %5.0f GB/s", bytes.size() / (ms * 1e6));
      }
    }
    // Each tile of the integer GEMM forced (NT_MMA_TILE), beside the default's choice above.
    if (type != GgmlType::F32 && type != GgmlType::F16 && type != GgmlType::BF16) {
      for (const char* tile : {"32", "64", "128x64", "128", "128p", "128s"}) {
        const ScopedEnv forced("NT_MMA_TILE", tile);
        for (int64_t tokens : {64, 128, 512, 2048}) {
          const float ms = time_ms([&] { matmul(view, xd.get(), tokens, out.get(), test_stream()); }, 5);
          std::printf("  tile=%s n=%lld %5.1f TFLOP/s", tile, static_cast<long long>(tokens),
                      2.0 * rows * n * tokens / (ms * 1e9));
        }
      }
    }
    std::printf("\n");
  }
}

}  // namespace
}  // namespace nt::cuda::test
