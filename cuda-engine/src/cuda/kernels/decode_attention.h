// Decode attention (issue 14): the kernels attention() runs for passes of a few tokens per
// sequence (decode, speculative steps, several sequences decoding together) over an F16 or Q8_0
// cache, where the time is the reading of the keys and values. Flash-decoding: each block is one
// warp over one chunk of positions of one KV head, holding up to 16 query rows — the head's GQA
// group for each of up to 16 / group tokens of one sequence — so a chunk's keys and values are read
// once for all of them. The chunks split the context across enough blocks to fill the GPU
// (attention_chunks), and every block writes its rows' partial results (attention.h's scratch
// layout) for attention()'s merge kernel, which combines them in chunk order.
#pragma once

#include <cuda_runtime_api.h>

#include <cstdint>

#include "cuda/kernels/attention.h"
#include "cuda/kernels/token_cache.h"

namespace nt::cuda {

// Query rows a decode block holds: tokens_per_block × the GQA group.
constexpr int32_t kDecodeRows = 16;

// Whether the decode kernels take this cache and shape: an F16 or Q8_0 cache, heads of 64 or 128
// values, a GQA group of at most kDecodeRows query heads, and a pool whose pointers and strides are
// 4-byte aligned (the copies are 16, 8 or 4 bytes wide, whichever the layout allows).
bool decode_attention_takes(const KvLayout& kv, const AttentionShape& shape);

// The partials of every (token, head, chunk) of the pass, as flash_attention_partials writes them.
// one_sequence: every token reads table row 0, so up to kDecodeRows / group consecutive tokens
// share a block (and each keeps its own causal mask). Requires decode_attention_takes.
void decode_attention_partials(const float* q, const TokenCache* tokens, const KvLayout& kv, int64_t n_tokens,
                               bool one_sequence, int32_t layer, const AttentionShape& shape, int n_chunks,
                               float* partials, cudaStream_t stream);

}  // namespace nt::cuda
