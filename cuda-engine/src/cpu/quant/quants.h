// The block formats the CPU backend computes with, and what each format's file provides.
//
// Layouts are ggml's (ggml-common.h). A weight format's block struct lives in its own file
// (q4_k.cc knows Q4_K); only the activation formats Q8_0, Q8_1 and Q8_K are declared here,
// because several weight formats dot against each of them.
//
// For every weight type, ggml's CPU backend first converts the activation row into the type's
// "vec_dot_type" (F32->F32, F16->F16, BF16->BF16, Q4_0/Q5_0/Q8_0->Q8_0, Q4_1/Q5_1->Q8_1, K-quants
// ->Q8_K) and then dots block by block with integer sums. The kernels below do the same, bit for
// bit: unsuffixed ones as ggml's generic C code computes, `_avx2` ones as its x86 AVX2 build does
// (type_table.cc says which is used where).
#pragma once

#include <cstdint>

namespace nt::cpu::quant {

constexpr int kBlock32 = 32;  // QK4_0 = QK4_1 = QK5_0 = QK5_1 = QK8_0 = QK8_1
constexpr int kBlockK = 256;  // QK_K, the K-quant super-block

struct BlockQ8_0 {
  uint16_t d;  // f16 scale
  int8_t qs[kBlock32];
};
struct BlockQ8_1 {
  uint16_t d;  // f16 scale
  uint16_t s;  // f16 of d * sum(qs), so that a weight block's offset m costs one multiply: m * s
  int8_t qs[kBlock32];
};
struct BlockQ8_K {
  float d;  // f32 scale, unlike every other block
  int8_t qs[kBlockK];
  int16_t bsums[kBlockK / 16];  // sums of qs in groups of 16, for the K-quants' min terms
};
static_assert(sizeof(BlockQ8_0) == 34 && sizeof(BlockQ8_1) == 36 && sizeof(BlockQ8_K) == 292,
              "activation block layouts must match ggml-common.h");

// One weight row of n elements dotted with one activation row already in the partner format.
using VecDotFn = float (*)(int64_t n, const uint8_t* w, const uint8_t* act);
using DequantizeFn = void (*)(const uint8_t* src, float* dst, int64_t n);
// Converts n floats into the activation format (n a multiple of its block size).
using QuantizeFn = void (*)(const float* x, uint8_t* dst, int64_t n);

// The 6-bit scales and mins of Q4_K and Q5_K: 8 of each packed into 12 bytes (ggml's
// get_scale_min_k4). Sub-blocks 0-3 use the low 6 bits of bytes 0-3 (scales) and 4-7 (mins);
// sub-blocks 4-7 take their low 4 bits from bytes 8-11 and their top 2 bits from the top 2
// bits of bytes 0-3 (scales) and 4-7 (mins).
inline void unpack_k4_scales(const uint8_t packed[12], uint8_t scales[8], uint8_t mins[8]) {
  for (int j = 0; j < 4; ++j) {
    scales[j] = packed[j] & 63;
    mins[j] = packed[j + 4] & 63;
    scales[j + 4] = (packed[j + 8] & 0xF) | ((packed[j] >> 6) << 4);
    mins[j + 4] = (packed[j + 8] >> 4) | ((packed[j + 4] >> 6) << 4);
  }
}

// Activation formats.
void quantize_row_f32(const float* x, uint8_t* dst, int64_t n);
void quantize_row_f16(const float* x, uint8_t* dst, int64_t n);
void quantize_row_f16_avx2(const float* x, uint8_t* dst, int64_t n);
void quantize_row_bf16(const float* x, uint8_t* dst, int64_t n);
void quantize_row_q8_0(const float* x, uint8_t* dst, int64_t n);       // ggml reference rounding
void quantize_row_q8_0_avx2(const float* x, uint8_t* dst, int64_t n);  // ggml x86 rounding
void quantize_row_q8_1(const float* x, uint8_t* dst, int64_t n);
void quantize_row_q8_1_avx2(const float* x, uint8_t* dst, int64_t n);
void quantize_row_q8_k(const float* x, uint8_t* dst, int64_t n);
void quantize_row_q8_k_avx2(const float* x, uint8_t* dst, int64_t n);  // bit-identical to the above
void dequantize_row_q8_1(const uint8_t* src, float* dst, int64_t n);
void dequantize_row_q8_k(const uint8_t* src, float* dst, int64_t n);

// Weight formats: dequantize, dot (ggml generic), dot (ggml x86 AVX2).
void dequantize_row_f32(const uint8_t* src, float* dst, int64_t n);
float vec_dot_f32(int64_t n, const uint8_t* w, const uint8_t* act);
float vec_dot_f32_avx2(int64_t n, const uint8_t* w, const uint8_t* act);

void dequantize_row_f16(const uint8_t* src, float* dst, int64_t n);
float vec_dot_f16(int64_t n, const uint8_t* w, const uint8_t* act);
float vec_dot_f16_avx2(int64_t n, const uint8_t* w, const uint8_t* act);

void dequantize_row_bf16(const uint8_t* src, float* dst, int64_t n);
float vec_dot_bf16(int64_t n, const uint8_t* w, const uint8_t* act);
float vec_dot_bf16_avx2(int64_t n, const uint8_t* w, const uint8_t* act);

void dequantize_row_q4_0(const uint8_t* src, float* dst, int64_t n);
float vec_dot_q4_0(int64_t n, const uint8_t* w, const uint8_t* act);
float vec_dot_q4_0_avx2(int64_t n, const uint8_t* w, const uint8_t* act);

void dequantize_row_q4_1(const uint8_t* src, float* dst, int64_t n);
float vec_dot_q4_1(int64_t n, const uint8_t* w, const uint8_t* act);
float vec_dot_q4_1_avx2(int64_t n, const uint8_t* w, const uint8_t* act);

void dequantize_row_q5_0(const uint8_t* src, float* dst, int64_t n);
float vec_dot_q5_0(int64_t n, const uint8_t* w, const uint8_t* act);
float vec_dot_q5_0_avx2(int64_t n, const uint8_t* w, const uint8_t* act);

void dequantize_row_q5_1(const uint8_t* src, float* dst, int64_t n);
float vec_dot_q5_1(int64_t n, const uint8_t* w, const uint8_t* act);
float vec_dot_q5_1_avx2(int64_t n, const uint8_t* w, const uint8_t* act);

void dequantize_row_q8_0(const uint8_t* src, float* dst, int64_t n);
float vec_dot_q8_0(int64_t n, const uint8_t* w, const uint8_t* act);
float vec_dot_q8_0_avx2(int64_t n, const uint8_t* w, const uint8_t* act);

void dequantize_row_q2_k(const uint8_t* src, float* dst, int64_t n);
float vec_dot_q2_k(int64_t n, const uint8_t* w, const uint8_t* act);
float vec_dot_q2_k_avx2(int64_t n, const uint8_t* w, const uint8_t* act);

void dequantize_row_q3_k(const uint8_t* src, float* dst, int64_t n);
float vec_dot_q3_k(int64_t n, const uint8_t* w, const uint8_t* act);
float vec_dot_q3_k_avx2(int64_t n, const uint8_t* w, const uint8_t* act);

void dequantize_row_q4_k(const uint8_t* src, float* dst, int64_t n);
float vec_dot_q4_k(int64_t n, const uint8_t* w, const uint8_t* act);
float vec_dot_q4_k_avx2(int64_t n, const uint8_t* w, const uint8_t* act);

void dequantize_row_q5_k(const uint8_t* src, float* dst, int64_t n);
float vec_dot_q5_k(int64_t n, const uint8_t* w, const uint8_t* act);
float vec_dot_q5_k_avx2(int64_t n, const uint8_t* w, const uint8_t* act);

void dequantize_row_q6_k(const uint8_t* src, float* dst, int64_t n);
float vec_dot_q6_k(int64_t n, const uint8_t* w, const uint8_t* act);
float vec_dot_q6_k_avx2(int64_t n, const uint8_t* w, const uint8_t* act);

}  // namespace nt::cpu::quant
