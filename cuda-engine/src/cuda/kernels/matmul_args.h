// What the per-format matmul kernels take, and the launchers each format instantiates
// (matmul_float.cu, matmul_legacy.cu, matmul_kquants.cu, matmul_mma*.cu, matvec_fused_*.cu) for the
// dispatchers in matmul.cu and fused_matvec.cu.
#pragma once

#include <cuda_runtime_api.h>

#include <cstddef>
#include <cstdint>

namespace nt::cuda {

struct MatmulArgs {
  const uint8_t* w;  // rows × row_bytes of blocks, 16-byte aligned
  size_t row_bytes;
  int64_t rows;
  int64_t n;  // elements per row (the reduction), a multiple of 8 and of the block
  const float* x;  // n_tokens × n
  int64_t n_tokens;
  float* out;  // n_tokens × rows
  bool accumulate;  // out += the product (a residual connection) instead of out = it
};

// gate, up and SwiGLU in one decode kernel (matvec_fused.cuh): out = silu(gate · x) * (up · x),
// two matrices of one type and shape.
struct SwigluArgs {
  const uint8_t* gate;
  const uint8_t* up;
  size_t row_bytes;
  int64_t rows;
  int64_t n;
  const float* x;  // n_tokens × n
  int64_t n_tokens;
  float* out;  // n_tokens × rows
};

// q, k and v in one decode kernel (matvec_fused.cuh): out[m] = w[m] · x, three matrices of one
// type and row length; k and v (m = 1, 2) have the same rows.
struct QkvArgs {
  const uint8_t* w[3];
  size_t row_bytes;
  int64_t rows[3];
  int64_t n;
  const float* x;  // n_tokens × n
  int64_t n_tokens;
  float* out[3];  // n_tokens × rows[m]
};

// Format Q is one of cuda/quant/*.cuh's structs.
template <class Q>
void launch_matvec(const MatmulArgs& a, cudaStream_t stream);
template <class Q>
void launch_gemm(const MatmulArgs& a, cudaStream_t stream);
// The fused decode kernels (matvec_fused.cuh), for the formats with Q::matvec_part
// (matvec_fused_kquants.cu, matvec_fused_legacy.cu).
template <class Q>
void launch_matvec_swiglu(const SwigluArgs& a, cudaStream_t stream);
template <class Q>
void launch_matvec_qkv(const QkvArgs& a, cudaStream_t stream);
// The tensor-core GEMM (mma_gemm.cuh) for unpacker U, one of cuda/quant/mma_unpack.h's structs
// (matmul_mma.cu, matmul_mma_kquants.cu).
template <class U>
void launch_mma_gemm(const MatmulArgs& a, cudaStream_t stream);
// The 16-bit tensor-core GEMM (mma_float_gemm.cuh) for tag T (mma_float_tiles.h: F16, BF16).
template <class T>
void launch_mma_float_gemm(const MatmulArgs& a, cudaStream_t stream);
// The 8-bit decode kernel (q8_matvec.cuh) for unpacker U, up to 8 tokens.
template <class U>
void launch_q8_matvec(const MatmulArgs& a, cudaStream_t stream);

}  // namespace nt::cuda
