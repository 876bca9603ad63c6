// Decode products fused with their neighbours, fewer and fuller kernels per decode step (issue 14):
// each computes bit for bit what the separate launches compute, and runs only where those would
// take the float matrix-vector kernel of the block formats (matmul.h's takes_blocks_matvec).
// Elsewhere (another kernel, mixed types or shapes, more than 8 tokens) its fuses_* says false and
// the caller runs the separate kernels. Pointers are device pointers; a call where fuses_* is
// false or a failed launch throws EngineError NT_E_INTERNAL.
#pragma once

#include <cuda_runtime_api.h>

#include <cstdint>

#include "tensor/tensor_view.h"

namespace nt::cuda {

// out = silu(gate · x) * (up · x), as matmul(gate), matmul(up) and swiglu; gate and up of one
// type and shape. out holds n_tokens × gate.rows() floats.
bool fuses_swiglu(const TensorView& gate, const TensorView& up, int64_t n_tokens);
void matmul_swiglu(const TensorView& gate, const TensorView& up, const float* x, int64_t n_tokens, float* out,
                   cudaStream_t stream);

// q = wq · x, k = wk · x, v = wv · x in one launch, as three matmuls; the three of one type and row
// length, wk and wv of the same rows.
bool fuses_qkv(const TensorView& wq, const TensorView& wk, const TensorView& wv, int64_t n_tokens);
void matmul_qkv(const TensorView& wq, const TensorView& wk, const TensorView& wv, const float* x, int64_t n_tokens,
                float* q, float* k, float* v, cudaStream_t stream);

}  // namespace nt::cuda
