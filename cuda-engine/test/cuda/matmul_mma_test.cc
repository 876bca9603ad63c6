// The tensor-core GEMM (cuda/kernels/mma_gemm.cuh) on the GPU, bit for bit against its CPU
// reference (test/cuda_host/mma_reference.h: the same unpacking, 8-bit activations and float steps
// in the same order), for every quantized type on odd shapes: one row, rows that leave a partial
// tile, many rows, reductions that are not a multiple of the 256- or 512-value stage, 9 to 512
// tokens on each of the GEMM's tiles (32 x 16 up to 16 tokens, 32 x 32 beyond on these small
// matrices, and each prefill tile forced by NT_MMA_TILE: 64 x 64, 128 x 64, 128 x 128 and its
// pipelined and staged forms), full and partial. The reference itself is checked against exact products on the CPU
// (mma_reference_test.cc), so equality here means the GPU computes the right product. The same for
// the 8-bit decode kernel (q8_matvec.cuh) and its split reduction; F16 and BF16 (mma_float_gemm.cuh)
// within a stated bound.
#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <random>
#include <vector>

#include "cpu/quant_test_rows.h"
#include "cuda/cuda_test_device.h"
#include "cuda/kernels/matmul.h"
#include "cuda/kernels/q8_split.h"
#include "cuda/matmul_choice.h"
#include "cuda_host/mma_reference.h"
#include "gguf/ggml_type.h"
#include "quant/dequantize.h"
#include "quant/half.h"

namespace nt::cuda::test {
namespace {

struct Shape {
  int64_t rows, n, n_tokens;
};

std::string type_name(GgmlType type) { return ggml_type_name(static_cast<uint32_t>(type)); }

using cpu::test::random_tokens;

std::vector<uint8_t> random_weights(GgmlType type, int64_t rows, int64_t n, std::mt19937& rng) {
  std::vector<uint8_t> w;
  for (int64_t r = 0; r < rows; ++r) {
    const std::vector<uint8_t> row = cpu::test::random_weight_row(type, n, rng);
    w.insert(w.end(), row.begin(), row.end());
  }
  return w;
}

std::vector<float> gpu_product(GgmlType type, const std::vector<uint8_t>& w, const Shape& s,
                               const std::vector<float>& x) {
  const DeviceBuffer<uint8_t> wd = to_device(w);
  const DeviceBuffer<float> xd = to_device(x);
  DeviceBuffer<float> out(s.n_tokens * s.rows, "test output");
  matmul(device_view(type, wd.get(), s.rows, s.n), xd.get(), s.n_tokens, out.get(), test_stream());
  return to_host(out.get(), s.n_tokens * s.rows);
}

// The shapes a type is tested on: every type takes `shapes` (K-quants need n a multiple of 256);
// the 32-element formats also take `legacy_shapes`.
std::vector<Shape> shapes_of(GgmlType type, const std::vector<Shape>& shapes, const std::vector<Shape>& legacy_shapes) {
  std::vector<Shape> all = shapes;
  if (ggml_block_layout(static_cast<uint32_t>(type))->block_elements == 32) {
    all.insert(all.end(), legacy_shapes.begin(), legacy_shapes.end());
  }
  return all;
}

// Mismatching outputs (bits differ), the first three reported.
int mismatches(GgmlType type, const Shape& s, const std::vector<float>& gpu, const std::vector<float>& ref) {
  int count = 0;
  for (int64_t t = 0; t < s.n_tokens; ++t) {
    for (int64_t r = 0; r < s.rows; ++r) {
      const float a = gpu[t * s.rows + r], b = ref[t * s.rows + r];
      if (std::memcmp(&a, &b, sizeof a) != 0 && ++count <= 3) {
        ADD_FAILURE() << type_name(type) << " " << s.rows << " x " << s.n << ", " << s.n_tokens << " tokens: row " << r
                      << " token " << t << " gpu " << a << " reference " << b;
      }
    }
  }
  return count;
}

TEST(CudaMatmulMma, EqualsTheCpuReferenceBitForBitOnOddShapes) {
  NT_SKIP_WITHOUT_CUDA();
  const ScopedMatmulChoice tensor_cores(nullptr);
  // K-quants need n a multiple of 256; the 32-element formats also take the extra shapes below.
  // 9-16 tokens: the 32 x 16 tile; more: 32 x 32 for these small matrices (mma_tiles.h).
  const std::vector<Shape> shapes = {{1, 256, 9},      {33, 1280, 12}, {4100, 512, 16}, {130, 768, 17},
                                     {200, 1536, 32},  {64, 256, 64},  {65, 512, 65},   {257, 1024, 130},
                                     {96, 2048, 512}};
  const std::vector<Shape> legacy_shapes = {{3, 32, 9}, {45, 544, 16}, {97, 96, 31}, {70, 288, 33}, {129, 800, 100}};
  for (const GgmlType type : mma::test::mma_weight_types()) {
    std::mt19937 rng(static_cast<uint32_t>(type) + 1401);
    for (const Shape& s : shapes_of(type, shapes, legacy_shapes)) {
      const std::vector<uint8_t> w = random_weights(type, s.rows, s.n, rng);
      const std::vector<float> x = random_tokens(s.n, s.n_tokens, rng);
      const std::vector<float> ref = mma::test::reference_product(type, w.data(), s.rows, s.n, x.data(), s.n_tokens);
      EXPECT_EQ(mismatches(type, s, gpu_product(type, w, s, x), ref), 0)
          << type_name(type) << " " << s.rows << " x " << s.n << ", " << s.n_tokens << " tokens";
    }
  }
}

// Each tile for more than 32 tokens forced (NT_MMA_TILE; the test above gets what choose_mma_tile
// picks for small matrices, the 32 x 32 tile), with the fused float step and the earlier one
// (NT_MMA_FUSED=0): 128 x 128 (single and pipelined) and 128 x 64 full
// (128 rows x 128 tokens) and partial in rows, tokens or both, one row, 33 tokens, reductions of a
// partial stage for the 32-element formats.
TEST(CudaMatmulMma, EachPrefillTileEqualsTheCpuReferenceBitForBit) {
  NT_SKIP_WITHOUT_CUDA();
  const ScopedMatmulChoice tensor_cores(nullptr);
  const std::vector<Shape> shapes = {{1, 256, 33},    {128, 512, 128},  {129, 768, 127}, {64, 256, 64},
                                     {130, 1024, 65}, {257, 1280, 200}, {256, 512, 256}};
  const std::vector<Shape> legacy_shapes = {{3, 96, 129}, {45, 544, 40}, {129, 800, 100}};
  for (const char* fused : {"1", "0"}) {
    const ScopedEnv float_step("NT_MMA_FUSED", fused);
    for (const char* tile : {"32", "64", "128x64", "128", "128p", "128s"}) {
      const ScopedEnv forced("NT_MMA_TILE", tile);
      for (const GgmlType type : mma::test::mma_weight_types()) {
        std::mt19937 rng(static_cast<uint32_t>(type) + 1402);
        for (const Shape& s : shapes_of(type, shapes, legacy_shapes)) {
          const std::vector<uint8_t> w = random_weights(type, s.rows, s.n, rng);
          const std::vector<float> x = random_tokens(s.n, s.n_tokens, rng);
          const std::vector<float> ref =
              mma::test::reference_product(type, w.data(), s.rows, s.n, x.data(), s.n_tokens);
          EXPECT_EQ(mismatches(type, s, gpu_product(type, w, s, x), ref), 0)
              << "NT_MMA_FUSED=" << fused << ", tile " << tile << ", " << type_name(type) << " " << s.rows << " x "
              << s.n << ", " << s.n_tokens << " tokens";
        }
      }
    }
  }
}

// The 8-bit decode kernel (NT_MATMUL=int8, up to 8 tokens) against its CPU reference bit for bit,
// with the split of the reduction the launcher picks on this GPU: one row and a few (split in up to
// 16), rows that leave a partial CTA, 4100 rows (two splits on an H100), 14336 (none).
TEST(CudaMatmulMma, DecodeKernelEqualsItsCpuReferenceBitForBit) {
  NT_SKIP_WITHOUT_CUDA();
  const ScopedMatmulChoice int8_decode("int8");
  int sms = 0;
  CUDA_CHECK(cudaDeviceGetAttribute(&sms, cudaDevAttrMultiProcessorCount, 0));
  const std::vector<Shape> shapes = {{1, 4096, 1}, {5, 8192, 3}, {67, 768, 8}, {300, 8192, 2},
                                     {4100, 2048, 1}, {14336, 512, 5}};
  const std::vector<Shape> legacy_shapes = {{3, 32, 4}, {70, 288, 7}, {9, 32 * 1000, 1}};
  for (const GgmlType type : mma::test::mma_weight_types()) {
    std::mt19937 rng(static_cast<uint32_t>(type) + 1403);
    for (const Shape& s : shapes_of(type, shapes, legacy_shapes)) {
      const std::vector<uint8_t> w = random_weights(type, s.rows, s.n, rng);
      const std::vector<float> x = random_tokens(s.n, s.n_tokens, rng);
      const int splits = mma::matvec_splits(s.rows, s.n, sms);
      const std::vector<float> ref =
          mma::test::reference_matvec(type, w.data(), s.rows, s.n, x.data(), s.n_tokens, splits);
      EXPECT_EQ(mismatches(type, s, gpu_product(type, w, s, x), ref), 0)
          << type_name(type) << " " << s.rows << " x " << s.n << ", " << s.n_tokens << " tokens, " << splits
          << " splits";
    }
  }
}

// F16 and BF16 weights on the 16-bit tensor cores: the activations rounded to the weights' format
// (as the CPU backend does), every product exact, the sums in the tensor cores' f32 accumulation,
// whose order and rounding are the hardware's: no bit-exact reference, so the error against the
// double-precision product of the weights with the rounded activations is bounded instead by
// n * 2^-23 of sum |w x| (float accumulation of n terms is within about n * 2^-24 of it). A wrong
// fragment or tile index is off by the size of the product itself. Odd shapes as above, with
// reductions that end inside a 64-value stage.
TEST(CudaMatmulMma, F16AndBf16AgreeWithExactProductsOfRoundedActivations) {
  NT_SKIP_WITHOUT_CUDA();
  const ScopedMatmulChoice tensor_cores(nullptr);
  const std::vector<Shape> shapes = {{1, 64, 9}, {70, 200, 33}, {130, 1024, 130}, {64, 4096, 512}};
  for (const GgmlType type : {GgmlType::F16, GgmlType::BF16}) {
    std::mt19937 rng(static_cast<uint32_t>(type) + 1404);
    for (const Shape& s : shapes) {
      const std::vector<uint8_t> w = random_weights(type, s.rows, s.n, rng);
      const std::vector<float> x = random_tokens(s.n, s.n_tokens, rng);
      const std::vector<float> out = gpu_product(type, w, s, x);
      std::vector<float> weights(s.rows * s.n);
      for (int64_t r = 0; r < s.rows; ++r) {
        nt::quant::dequantize_row(static_cast<uint32_t>(type), w.data() + r * 2 * s.n, weights.data() + r * s.n, s.n);
      }
      int failures = 0;
      for (int64_t t = 0; t < s.n_tokens && failures < 3; ++t) {
        for (int64_t r = 0; r < s.rows && failures < 3; ++r) {
          double exact = 0.0, magnitude = 0.0;
          for (int64_t i = 0; i < s.n; ++i) {
            const float xi = x[t * s.n + i];
            const float rounded = type == GgmlType::F16 ? nt::quant::fp16_to_fp32(nt::quant::fp32_to_fp16(xi))
                                                        : nt::quant::bf16_to_fp32(nt::quant::fp32_to_bf16(xi));
            exact += double{weights[r * s.n + i]} * rounded;
            magnitude += std::fabs(double{weights[r * s.n + i]} * rounded);
          }
          const double error = std::fabs(out[t * s.rows + r] - exact);
          if (error > s.n * 0x1p-23 * magnitude) {
            ++failures;
            ADD_FAILURE() << type_name(type) << " " << s.rows << " x " << s.n << ", " << s.n_tokens << " tokens: row "
                          << r << " token " << t << " gpu " << out[t * s.rows + r] << " exact " << exact;
          }
        }
      }
    }
  }
}

// NT_MATMUL=fp32 takes the float GEMM instead: the same product to float accuracy, but not the
// tensor-core one's bits (float activations, not 8-bit ones), for every quantized type.
TEST(CudaMatmulMma, Fp32ChoiceTakesTheFloatKernels) {
  NT_SKIP_WITHOUT_CUDA();
  const Shape s{70, 512, 40};
  for (const GgmlType type : mma::test::mma_weight_types()) {
    std::mt19937 rng(static_cast<uint32_t>(type) + 1402);
    const std::vector<uint8_t> w = random_weights(type, s.rows, s.n, rng);
    const std::vector<float> x = random_tokens(s.n, s.n_tokens, rng);
    std::vector<float> tensor_cores, fp32;
    {
      const ScopedMatmulChoice choice(nullptr);
      tensor_cores = gpu_product(type, w, s, x);
    }
    {
      const ScopedMatmulChoice choice("fp32");
      fp32 = gpu_product(type, w, s, x);
    }
    const std::vector<float> ref = mma::test::reference_product(type, w.data(), s.rows, s.n, x.data(), s.n_tokens);
    EXPECT_EQ(std::memcmp(tensor_cores.data(), ref.data(), ref.size() * sizeof(float)), 0) << type_name(type);
    EXPECT_NE(std::memcmp(fp32.data(), ref.data(), ref.size() * sizeof(float)), 0) << type_name(type);
  }
}

}  // namespace
}  // namespace nt::cuda::test
