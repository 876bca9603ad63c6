// Matrix products on the GPU straight from GGUF blocks: each kernel dequantizes weights on the fly
// (cuda/quant/*.cuh, the same float math as quant::dequantize_row) and multiplies them with float
// activations, accumulating in float. Few tokens (decode) take a matrix-vector kernel that reads
// each weight byte once at memory speed (float, or on 8-bit activations where measured faster:
// matmul.cu); more (prefill, batches) a tiled GEMM.
#pragma once

#include <cuda_runtime_api.h>

#include <cstdint>

#include "tensor/tensor_view.h"

namespace nt::cuda {

// out[t * w.rows() + r] = dot(row r of w, x + t * w.ne[0]) for t < n_tokens, r < w.rows().
// w.data, x and out are device pointers; w.data must be 16-byte aligned and w.ne[0] a multiple
// of 8 and of the type's block (F32, F16 and BF16 rows may have any length: matmul_ragged.h). Throws EngineError NT_E_UNSUPPORTED for a type without a kernel,
// NT_E_INTERNAL for a misaligned tensor or a failed launch.
void matmul(const TensorView& w, const float* x, int64_t n_tokens, float* out, cudaStream_t stream);

// out[t * w.rows() + r] += the same product: a residual connection in the product's last store,
// with the float addition the CPU's residual add does (the sum rounds once, either way).
void matmul_add(const TensorView& w, const float* x, int64_t n_tokens, float* out, cudaStream_t stream);

// At most this many tokens go through the matrix-vector kernel; more through the GEMM.
constexpr int64_t kMatvecMaxTokens = 8;

// True when matmul(w, x, n_tokens, ...) would take the float matrix-vector kernel of the block
// formats (matvec.cuh's matvec_blocks_kernel): with NT_MATMUL as it is now, a quantized type with
// matvec_part, 1..8 tokens, a shape and alignment the kernel takes, and not the 8-bit kernel's
// size. The fused decode kernels (fused_matvec.h) compute alike, so they are used only there.
bool takes_blocks_matvec(const TensorView& w, int64_t n_tokens);

}  // namespace nt::cuda
