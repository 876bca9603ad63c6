// The one place that says, for each weight type, what ggml's CPU backend does with it: the
// activation format (vec_dot_type) the input row is converted to, and the kernels that convert,
// dot and dequantize, for each SIMD level.
#pragma once

#include <cstddef>
#include <cstdint>

#include "cpu/quant/quants.h"
#include "cpu/simd.h"

namespace nt::cpu::quant {

struct TypeKernels {
  uint32_t type;            // the weight's GgmlType
  uint32_t vec_dot_type;    // the activation format's GgmlType
  QuantizeFn quantize_activation;
  VecDotFn vec_dot;
  DequantizeFn dequantize;
  // vec_dot for several tokens at once (quants.h, DotTokens), bit for bit; nullptr where the
  // type has none (matmul then calls vec_dot per token).
  VecDotTokensFn vec_dot_tokens;
  // vec_dot for several rows at once against up to four tokens (quants.h, DotRows), bit for bit;
  // nullptr where the type has none.
  VecDotRowsFn vec_dot_rows;
};

// nullptr for a type the CPU backend does not compute with.
const TypeKernels* type_kernels(uint32_t type, SimdLevel level);

// Bytes of one activation row of n elements in format vec_dot_type.
size_t activation_row_bytes(uint32_t vec_dot_type, int64_t n);

// Elements per block of an activation format (1 for F32/F16/BF16).
int activation_block_elements(uint32_t vec_dot_type);

}  // namespace nt::cpu::quant
