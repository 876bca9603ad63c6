// The product for float-format rows whose length is not a multiple of 8 (matmul_ragged.cu).
#pragma once

#include <cuda_runtime_api.h>

#include <cstdint>

#include "cuda/kernels/matmul_args.h"
#include "gguf/ggml_type.h"

namespace nt::cuda {

// True for rows of n elements of `type` that the vector kernels cannot take but launch_ragged can.
bool is_ragged(GgmlType type, int64_t n);

// a.out (+)= a.w · a.x for any n and token count; rows 4-byte (F32) or 2-byte aligned.
void launch_ragged(GgmlType type, const MatmulArgs& a, cudaStream_t stream);

}  // namespace nt::cuda
