// Which decode kernel (1 to 8 tokens) a quantized product takes by default: the float
// matrix-vector kernel (matvec.cuh) or the 8-bit one (q8_matvec.cuh). Host code, shared with the
// CPU test that checks the table against the measurements it comes from
// (test/cuda_host/q8_choice_test.cc).
//
// Where the table comes from (CudaMatmulSpeed on an H100, 14336 x 4096 and 4096 x 4096 matrices
// of each type, 1, 4 and 8 tokens; cuda-engine/bench/README.md, "Decode kernels"): per kernel and
// token count the two sizes give a time per call t = c + s x bytes. The 8-bit kernel has the larger
// fixed part c (~10-13 us against ~2-3: the activation quantizer's launch and scratch, on a
// 4096-row matrix also the split-K pass) and, from 2 tokens on, the smaller s: per weight element
// and token the float kernel does a float multiply-add and reads 4 bytes of activations, the 8-bit
// one a quarter of a dp4a and 1 byte, while each unpacks a weight once for all tokens. So per-token
// cost is linear in the token count, and c and s for 2, 3 and 5-7 tokens are interpolated between
// the measured 1, 4 and 8. The entry is the size from which the 8-bit kernel is the faster,
// c8 + s8 b < cf + sf b, in MB (10^6 bytes); kNever where it is never faster, or only beyond the
// largest matrix measured (62 MB), where the fit has no data.
#pragma once

#include <cstdint>

#include "gguf/ggml_type.h"

namespace nt::cuda {

namespace q8_choice_detail {

constexpr uint16_t kNever = 0xffff;

// MB from which the 8-bit kernel wins, for 1..8 tokens.
struct Row {
  GgmlType type;
  uint16_t min_mb[8];
};

constexpr Row kRows[] = {
    {GgmlType::Q4_0, {28, 22, 19, 17, 14, 12, 11, 10}},
    {GgmlType::Q4_1, {28, 25, 23, 22, 19, 17, 16, 14}},
    {GgmlType::Q5_0, {32, 24, 20, 17, 15, 14, 12, 11}},
    {GgmlType::Q5_1, {25, 27, 30, 33, 28, 24, 21, 19}},
    {GgmlType::Q8_0, {kNever, kNever, kNever, 58, 43, 34, 28, 24}},
    {GgmlType::Q2_K, {62, 24, 16, 12, 11, 10, 10, 9}},
    {GgmlType::Q3_K, {kNever, kNever, 29, 17, 13, 10, 9, 8}},
    {GgmlType::Q4_K, {kNever, 17, 8, 5, 5, 5, 4, 4}},
    {GgmlType::Q5_K, {kNever, 22, 12, 9, 6, 5, 4, 3}},
    {GgmlType::Q6_K, {kNever, kNever, kNever, 44, 32, 26, 23, 20}},
};

}  // namespace q8_choice_detail

// True when a product of n_tokens (1..8) with weight_bytes of `type` is measured faster on the
// 8-bit decode kernel; false for any other type or token count.
constexpr bool q8_decode_wins(GgmlType type, int64_t n_tokens, uint64_t weight_bytes) {
  if (n_tokens < 1 || n_tokens > 8) return false;
  for (const q8_choice_detail::Row& row : q8_choice_detail::kRows) {
    if (row.type != type) continue;
    const uint16_t mb = row.min_mb[n_tokens - 1];
    return mb != q8_choice_detail::kNever && weight_bytes >= uint64_t{mb} * 1000000;
  }
  return false;
}

}  // namespace nt::cuda
