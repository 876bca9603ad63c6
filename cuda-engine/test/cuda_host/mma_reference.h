// The CPU reference of the tensor-core GEMM (cuda/kernels/mma_gemm.cuh): the same unpacking, the
// same 8-bit activations and the same float steps in the same order, so the GPU must match it bit
// for bit (test/cuda/matmul_mma_test.cc). Also checked on its own against exact products
// (mma_reference_test.cc).
#pragma once

#include <cstdint>
#include <vector>

#include "gguf/ggml_type.h"

namespace nt::cuda::mma::test {

// The quantized weight types the tensor-core GEMM takes.
const std::vector<GgmlType>& mma_weight_types();

// out[t * rows + r] = the GEMM's product of weight row r (GGUF blocks of `type`, rows x row_bytes
// at w) with token t of x (n_tokens x n floats).
std::vector<float> reference_product(GgmlType type, const uint8_t* w, int64_t rows, int64_t n, const float* x,
                                     int64_t n_tokens);

// The same product as the 8-bit decode kernel (cuda/kernels/q8_matvec.cuh) computes it: the
// reduction in `splits` consecutive ranges (q8_split.h), each range's 32-value slices dealt to 32
// lanes in turn, the lanes added by an xor butterfly, the ranges' sums added in order.
std::vector<float> reference_matvec(GgmlType type, const uint8_t* w, int64_t rows, int64_t n, const float* x,
                                    int64_t n_tokens, int splits);

// How far the 8-bit activations may move the product of weight row `weights` (dequantized, n
// values) with token x: sum over 32-value blocks of (d / 2) * sum |w|, d = max|x| / 127 of the block.
double activation_rounding_bound(const float* weights, const float* x, int64_t n);

}  // namespace nt::cuda::mma::test
