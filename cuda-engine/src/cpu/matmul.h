// Matrix products straight on quantized blocks, the way ggml's CPU backend computes them, so
// results agree with llama.cpp: activations are quantized to the weight type's partner format
// (Q8_0 for Q4_0/Q5_0/Q8_0, Q8_1 for Q4_1/Q5_1, Q8_K for the K-quants, F16 for F16, BF16 for BF16,
// F32 for F32) and dotted block by block. AVX2 paths are chosen at run time, scalar otherwise.
#pragma once

#include <cstdint>

#include "cpu/simd.h"
#include "cpu/thread_pool.h"
#include "tensor/tensor_view.h"

namespace nt::cpu {

// out[t * w.rows() + r] = dot(row r of w, x + t * w.ne[0])   for t in [0, n_tokens), r in [0, w.rows())
// x holds n_tokens rows of w.ne[0] floats. Weights are read once per call for all tokens, which
// is what makes prompt processing and batches cheaper per token than decoding one by one.
void matmul(const TensorView& w, const float* x, int64_t n_tokens, float* out, ThreadPool& pool);

// The same at a given SIMD level instead of simd_level()'s (tests compare the two).
void matmul(const TensorView& w, const float* x, int64_t n_tokens, float* out, ThreadPool& pool,
            SimdLevel level);

// One product of a group: out as matmul's for w.
struct MatmulProduct {
  const TensorView* w;
  float* out;
};

// matmul for each of `count` products over the same input x (every w has the same ne[0]), with
// the same results bit for bit, in one parallel region: each activation format is made once, and
// the pool wakes and waits once for all of them. A layer's q, k, v and its gate, up are groups.
void matmul_group(const MatmulProduct* products, int count, const float* x, int64_t n_tokens, ThreadPool& pool);
void matmul_group(const MatmulProduct* products, int count, const float* x, int64_t n_tokens, ThreadPool& pool,
                  SimdLevel level);

}  // namespace nt::cpu
