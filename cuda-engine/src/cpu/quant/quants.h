// What each block format's file provides to the CPU backend: the activation quantizers and the
// dot products. The layouts, f16/bf16 and the reference dequantization are the shared core's
// (quant/blocks.h, quant/half.h, quant/dequantize.h), which every file here reads blocks through.
//
// For every weight type, ggml's CPU backend first converts the activation row into the type's
// "vec_dot_type" (F32->F32, F16->F16, BF16->BF16, Q4_0/Q5_0/Q8_0->Q8_0, Q4_1/Q5_1->Q8_1, K-quants
// ->Q8_K) and then dots block by block with integer sums. The kernels below do the same, bit for
// bit: unsuffixed ones as ggml's generic C code computes, `_avx2` ones as its x86 AVX2 build does
// (type_table.cc says which is used where); `_avx512` ones give the `_avx2` results bit for bit.
#pragma once

#include <cstdint>

#include "quant/blocks.h"
#include "quant/dequantize.h"
#include "quant/half.h"

namespace nt::cpu::quant {

// The shared core's names (BlockQ4_K, quant_at, fp16_to_fp32, dequantize_row_q4_k, ...) are this
// backend's vocabulary: every kernel file reads its blocks through them.
using namespace ::nt::quant;

// One weight row of n elements dotted with one activation row already in the partner format.
using VecDotFn = float (*)(int64_t n, const uint8_t* w, const uint8_t* act);
// Converts n floats into the activation format (n a multiple of its block size).
using QuantizeFn = void (*)(const float* x, uint8_t* dst, int64_t n);

// One weight row against several tokens' activation rows, for batches: n_tokens rows (1 to
// kMaxDotTokens) at act + t * act_stride, out[t * out_stride] = vec_dot(n, w, that row). Each
// weight block is unpacked once for all of them instead of once per token, and every result is
// the level's vec_dot bit for bit (the same integer lanes, the same float operations in the same
// order).
constexpr int kMaxDotTokens = 8;
struct DotTokens {
  int64_t n;
  const uint8_t* w;
  const uint8_t* act;
  size_t act_stride;
  int n_tokens;
  float* out;
  int64_t out_stride;
};
using VecDotTokensFn = void (*)(const DotTokens& args);

// Several weight rows against a few tokens' activation rows, for decode products: n_rows rows (1
// to kMaxDotRows) at w + r * w_stride, n_tokens tokens (1 to kMaxDotRowTokens) at
// act + t * act_stride, out[r * out_stride + t * out_token_stride] = vec_dot(n, row r, token t),
// bit for bit. The rows' weights come in as n_rows streams at once, each weight block is unpacked
// once for all tokens and each activation block loaded once for all rows (cpu/matmul.cc says what
// that is worth).
constexpr int kMaxDotRows = 4;
constexpr int kMaxDotRowTokens = 4;
struct DotRows {
  int64_t n;
  const uint8_t* w;
  size_t w_stride;
  int n_rows;
  const uint8_t* act;
  float* out;
  int64_t out_stride = 1;
  int n_tokens = 1;
  size_t act_stride = 0;
  int64_t out_token_stride = 0;
};
using VecDotRowsFn = void (*)(const DotRows& args);

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

// Weight formats: dot (ggml generic), dot (ggml x86 AVX2).
float vec_dot_f32(int64_t n, const uint8_t* w, const uint8_t* act);
float vec_dot_f32_avx2(int64_t n, const uint8_t* w, const uint8_t* act);

float vec_dot_f16(int64_t n, const uint8_t* w, const uint8_t* act);
float vec_dot_f16_avx2(int64_t n, const uint8_t* w, const uint8_t* act);

float vec_dot_bf16(int64_t n, const uint8_t* w, const uint8_t* act);
float vec_dot_bf16_avx2(int64_t n, const uint8_t* w, const uint8_t* act);

float vec_dot_q4_0(int64_t n, const uint8_t* w, const uint8_t* act);
float vec_dot_q4_0_avx2(int64_t n, const uint8_t* w, const uint8_t* act);
void vec_dot_q4_0_tokens_avx2(const DotTokens& args);
void vec_dot_q4_0_tokens_avx512(const DotTokens& args);
void vec_dot_q4_0_rows_avx2(const DotRows& args);

float vec_dot_q4_1(int64_t n, const uint8_t* w, const uint8_t* act);
float vec_dot_q4_1_avx2(int64_t n, const uint8_t* w, const uint8_t* act);
void vec_dot_q4_1_tokens_avx2(const DotTokens& args);
void vec_dot_q4_1_tokens_avx512(const DotTokens& args);
void vec_dot_q4_1_rows_avx2(const DotRows& args);

float vec_dot_q5_0(int64_t n, const uint8_t* w, const uint8_t* act);
float vec_dot_q5_0_avx2(int64_t n, const uint8_t* w, const uint8_t* act);
void vec_dot_q5_0_tokens_avx2(const DotTokens& args);
void vec_dot_q5_0_tokens_avx512(const DotTokens& args);
void vec_dot_q5_0_rows_avx2(const DotRows& args);

float vec_dot_q5_1(int64_t n, const uint8_t* w, const uint8_t* act);
float vec_dot_q5_1_avx2(int64_t n, const uint8_t* w, const uint8_t* act);
void vec_dot_q5_1_tokens_avx2(const DotTokens& args);
void vec_dot_q5_1_tokens_avx512(const DotTokens& args);
void vec_dot_q5_1_rows_avx2(const DotRows& args);

float vec_dot_q8_0(int64_t n, const uint8_t* w, const uint8_t* act);
float vec_dot_q8_0_avx2(int64_t n, const uint8_t* w, const uint8_t* act);
void vec_dot_q8_0_tokens_avx2(const DotTokens& args);
void vec_dot_q8_0_tokens_avx512(const DotTokens& args);
void vec_dot_q8_0_rows_avx2(const DotRows& args);

float vec_dot_q2_k(int64_t n, const uint8_t* w, const uint8_t* act);
float vec_dot_q2_k_avx2(int64_t n, const uint8_t* w, const uint8_t* act);
void vec_dot_q2_k_tokens_avx2(const DotTokens& args);
void vec_dot_q2_k_rows_avx2(const DotRows& args);

float vec_dot_q3_k(int64_t n, const uint8_t* w, const uint8_t* act);
float vec_dot_q3_k_avx2(int64_t n, const uint8_t* w, const uint8_t* act);
void vec_dot_q3_k_tokens_avx2(const DotTokens& args);
void vec_dot_q3_k_rows_avx2(const DotRows& args);

float vec_dot_q4_k(int64_t n, const uint8_t* w, const uint8_t* act);
float vec_dot_q4_k_avx2(int64_t n, const uint8_t* w, const uint8_t* act);
void vec_dot_q4_k_tokens_avx2(const DotTokens& args);
void vec_dot_q4_k_tokens_avx512(const DotTokens& args);
void vec_dot_q4_k_rows_avx2(const DotRows& args);
void vec_dot_q4_k_rows_avx512(const DotRows& args);

float vec_dot_q5_k(int64_t n, const uint8_t* w, const uint8_t* act);
float vec_dot_q5_k_avx2(int64_t n, const uint8_t* w, const uint8_t* act);
void vec_dot_q5_k_tokens_avx2(const DotTokens& args);
void vec_dot_q5_k_tokens_avx512(const DotTokens& args);
void vec_dot_q5_k_rows_avx2(const DotRows& args);
void vec_dot_q5_k_rows_avx512(const DotRows& args);

float vec_dot_q6_k(int64_t n, const uint8_t* w, const uint8_t* act);
float vec_dot_q6_k_avx2(int64_t n, const uint8_t* w, const uint8_t* act);
void vec_dot_q6_k_tokens_avx2(const DotTokens& args);
void vec_dot_q6_k_tokens_avx512(const DotTokens& args);
void vec_dot_q6_k_rows_avx2(const DotRows& args);
void vec_dot_q6_k_rows_avx512(const DotRows& args);

}  // namespace nt::cpu::quant
