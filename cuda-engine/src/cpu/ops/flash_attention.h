#pragma once

#include <cstdint>

#include "cpu/ops/attention.h"

namespace nt::ops {

// One query head's attention over F16 or Q8_0 cached keys and values, step for step as ggml's CPU
// flash attention (ggml_compute_forward_flash_attn_ext_f16), which is what llama.cpp runs for a
// quantized cache: q is converted to the cache type's dot format (F16, or Q8_0 blocks of 32), each
// score is that type's dot product × 1/sqrt(head_dim), and the softmax is online: a running max M
// and sum S, the output rescaled by expf(M_old − M) when the max rises. An F16 cache accumulates
// the output in F16 (each multiply-add rounded to F16, as ggml_vec_mad_f16), a Q8_0 cache in F32
// from dequantized values. type is the GgmlType id (F16 or Q8_0); head_dim a multiple of 32 for
// Q8_0. q_scratch holds the converted q (head_dim × 4 bytes suffice), scratch 2 × head_dim floats.
void flash_attention_head(uint32_t type, const float* q, const PagedRows& k, const PagedRows& v, int32_t n_past,
                          int32_t head_dim, uint8_t* q_scratch, float* scratch, float* out);

}  // namespace nt::ops
