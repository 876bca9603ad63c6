// Flash attention (issue 14): the kernels attention() runs unless NT_ATTENTION=naive. Each block
// holds a tile of query rows — (token, query head) pairs of one KV head's GQA group, for one token
// in decode or several consecutive tokens of one sequence in prefill — and streams the keys and
// values of its positions through shared memory a tile at a time, once for all of its rows, with an
// online softmax. Long contexts are split into chunks of positions across blocks; every block
// writes its rows' partial results (attention.h's scratch layout) and attention()'s merge kernel
// combines them in chunk order, so results do not depend on scheduling.
#pragma once

#include <cuda_runtime_api.h>

#include <cstdint>

#include "cuda/kernels/attention.h"
#include "cuda/kernels/token_cache.h"

namespace nt::cuda {

// The partials of every (token, head, chunk) of the pass, as attention_chunk_kernel writes them:
// slot (t * n_head + head) * n_chunks + chunk holds acc[head_dim] (unnormalised), the max score and
// the sum of exponentials. one_sequence: every token reads table row 0 (the pass's tokens are of
// one sequence), so consecutive tokens may share a block. Returns false, having launched nothing,
// for a shape these kernels do not take (a GQA group of more than 16 query heads, or 8 for heads
// over 128 values); the caller then runs the naive kernels.
bool flash_attention_partials(const float* q, const TokenCache* tokens, const KvLayout& kv, int64_t n_tokens,
                              bool one_sequence, int32_t layer, const AttentionShape& shape, int n_chunks,
                              float* partials, cudaStream_t stream);

}  // namespace nt::cuda
