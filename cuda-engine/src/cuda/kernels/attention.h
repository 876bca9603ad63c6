// ops::attention_head for every (token, query head) of a pass, over each token's own cache:
// softmax(q · K[0..pos] / sqrt(head_dim)) · V[0..pos], with GQA (query head h reads kv head
// h / (n_head / n_head_kv)). Contexts of any length: each (token, head) is split into chunks
// that blocks process with an online softmax, and a second kernel merges the chunks in a fixed
// order. The blocks are the decode kernels' (decode_attention.h) for a few tokens per sequence,
// flash attention's (flash_attention.h: a KV head's query rows share each tile of keys and values)
// for prompts, or the first, naive kernels (a block per query head and chunk) for what neither
// takes; attention_kernels() chooses.
#pragma once

#include <cuda_runtime_api.h>

#include <cstdint>

#include "cuda/kernels/token_cache.h"

namespace nt::cuda {

struct AttentionShape {
  int32_t n_head, n_head_kv, head_dim;  // head_dim at most kAttentionMaxHeadDim
};

constexpr int32_t kAttentionMaxHeadDim = 256;

// Floats of partial results that attention() may use for n_slots (token, head, chunk) triples.
int64_t attention_scratch_floats(int64_t n_slots, int32_t head_dim);

// How many chunks attention() splits each (token, head) into for this pass: the only launch
// parameter of attention() that depends on the positions (pass_graphs.h keys on it). Passes under
// kFlashMinTokens tokens take up to 64 chunks of at least 64 positions, longer ones up to 32 of
// 128; never more than scratch_slots / (n_tokens × n_head).
int32_t attention_chunks(int32_t max_n_past, int64_t n_tokens, int32_t n_head, int64_t scratch_slots);

// Which kernels attention() runs for a pass of n_tokens over this cache: NT_ATTENTION=naive, flash
// or decode when set (read on every call, so a test or bench can switch; decode only where
// decode_attention_takes the cache and shape), else — with kDecodeKernelsByDefault — the decode
// kernels (decode_attention.h: F16 and Q8_0 caches, heads of 64 or 128) for passes under
// kFlashMinTokens tokens and for tokens of several sequences, flash attention for prompts of at
// least kFlashMinTokens tokens (measured on the H100, 8B q4_k_m pp512 6741 vs 5489 t/s), and the
// naive kernels for the remaining decode passes (an F32 cache, other head sizes: tg128 277.6 vs
// 243.6 t/s over flash).
enum class AttentionKernels { Flash, Naive, Decode };
constexpr int64_t kFlashMinTokens = 32;
// The decode kernels read K/V faster (on an H200, 8B tg32 at 8k positions of F16 K/V: 276 vs 196
// t/s with the naive kernels); their GPU tests (CudaAttention.Decode*) passed on an H100 on
// 2026-12-07, so they are the default (false: the naive kernels for decode, as before).
constexpr bool kDecodeKernelsByDefault = true;
AttentionKernels attention_kernels(int64_t n_tokens, bool one_sequence, const KvLayout& kv,
                                   const AttentionShape& shape);

// q, out: n_tokens rows of n_head * head_dim floats; tokens: each token's block-table row and
// position in the paged cache kv (the keys and values of this layer at positions 0..pos must
// already be stored); one_sequence: every token reads table row 0 (a pass of one sequence's
// tokens, whose blocks prefill may share between tokens); max_n_past:
// the largest pos + 1 in the pass; scratch: attention_scratch_floats(scratch_slots, head_dim)
// floats, scratch_slots >= n_tokens * n_head. Throws NT_E_UNSUPPORTED for head_dim > 256.
void attention(const float* q, const TokenCache* tokens, const KvLayout& kv, int64_t n_tokens, bool one_sequence,
               int32_t layer, const AttentionShape& shape, int32_t max_n_past, float* scratch, int64_t scratch_slots,
               float* out, cudaStream_t stream);

}  // namespace nt::cuda
