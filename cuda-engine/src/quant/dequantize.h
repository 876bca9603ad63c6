// Reference dequantization: rows of every supported format expanded to floats exactly as ggml's
// dequantize_row_* functions compute them. The CUDA backend dequantizes its embedding rows on the
// host with it, the CPU backend lists it per type (cpu/quant/type_table.h), and the tests check
// every kernel's weights against it.
#pragma once

#include <cstdint>

namespace nt::quant {

using DequantizeFn = void (*)(const uint8_t* src, float* dst, int64_t n);

// Expands n elements (a whole number of the type's blocks) of a row to floats. Throws EngineError
// NT_E_UNSUPPORTED for a type the engine does not compute with, NT_E_INTERNAL for a partial block.
void dequantize_row(uint32_t type, const uint8_t* src, float* dst, int64_t n);

// One format each, n a multiple of its block size. Weight formats:
void dequantize_row_f32(const uint8_t* src, float* dst, int64_t n);
void dequantize_row_f16(const uint8_t* src, float* dst, int64_t n);
void dequantize_row_bf16(const uint8_t* src, float* dst, int64_t n);
void dequantize_row_q4_0(const uint8_t* src, float* dst, int64_t n);
void dequantize_row_q4_1(const uint8_t* src, float* dst, int64_t n);
void dequantize_row_q5_0(const uint8_t* src, float* dst, int64_t n);
void dequantize_row_q5_1(const uint8_t* src, float* dst, int64_t n);
void dequantize_row_q8_0(const uint8_t* src, float* dst, int64_t n);
void dequantize_row_q2_k(const uint8_t* src, float* dst, int64_t n);
void dequantize_row_q3_k(const uint8_t* src, float* dst, int64_t n);
void dequantize_row_q4_k(const uint8_t* src, float* dst, int64_t n);
void dequantize_row_q5_k(const uint8_t* src, float* dst, int64_t n);
void dequantize_row_q6_k(const uint8_t* src, float* dst, int64_t n);
// Activation formats only (the CPU's vec_dot tests read activations back with them):
void dequantize_row_q8_1(const uint8_t* src, float* dst, int64_t n);
void dequantize_row_q8_k(const uint8_t* src, float* dst, int64_t n);

}  // namespace nt::quant
