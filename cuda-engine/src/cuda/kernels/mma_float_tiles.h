// Which 16-bit tensor-core GEMM (mma_float_gemm.cuh) a float weight format takes: its tag, for the
// dispatcher in matmul.cu.
#pragma once

namespace nt::cuda::mma {

// F16 weights: f16 tiles, activations rounded to f16 (ggml's vec_dot_type for F16).
struct F16Tiles {
  static constexpr bool kBf16 = false;
};
// BF16 weights: bf16 tiles, activations rounded to bf16 (ggml's vec_dot_type for BF16).
struct BF16Tiles {
  static constexpr bool kBf16 = true;
};

}  // namespace nt::cuda::mma
