// The attention's entry point, its chunk merge, and the naive kernels (NT_ATTENTION=naive; flash
// attention, the default, is flash_attention.cu).
// Split-context attention ("flash decoding"): block (chunk, head, token) runs four warps over its
// chunk of positions, a warp per position at a time, each lane holding head_dim / 32 dimensions
// of q and of the running output; scores are reduced across the warp and folded in with an
// online softmax (running max, rescaled sum), so no context length is too long for registers or
// shared memory. The warps' states merge in shared memory; a second kernel merges the chunks.
// Keys and values are read through each token's block table (the paged cache, token_cache.h), as
// F32, F16 or Q8_0 widened to F32; with an F16 cache q is rounded to F16 first, as the CPU converts
// it for its F16 dot product, and everything after runs in F32. The CPU sums an F16 cache's output
// in F16 and dots a Q8_0 cache with q quantized to Q8_0 (as ggml's CPU flash attention does), so
// for those types the two differ by F16 steps of the output or 8-bit steps of q.
// Sums run in a different order than the CPU's (which adds the exponentials in double), so
// results agree to float rounding, not bit for bit.
#include "cuda/kernels/attention.h"

#include <cuda_fp16.h>

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <string>

#include "core/engine_error.h"
#include "cuda/cuda_check.h"
#include "cuda/kernels/decode_attention.h"
#include "cuda/kernels/flash_attention.h"
#include "cuda/kernels/kv_read.cuh"
#include "cuda/kernels/warp_sum.cuh"

namespace nt::cuda {

namespace {

constexpr int kWarps = 4;
constexpr int kMaxChunks = 64;
// Prompts: fewer positions per chunk would add merge work, more idle SMs; at most 32 chunks.
constexpr int kPositionsPerChunk = 128, kMaxPromptChunks = 32;
// Decode passes (under kFlashMinTokens tokens): a (token, KV head) is too little work to fill the
// GPU, so its context is split finer, into up to 64 chunks of at least 64 positions (the decode
// kernels' warps stream 16-position tiles, three in flight).
constexpr int kDecodePositionsPerChunk = 64;

// A partial result: acc[head_dim] (unnormalised), then the max score m and the sum l.
__device__ inline float* partial_at(float* partials, int64_t slot, int head_dim) {
  return partials + slot * (head_dim + 2);
}

template <int kDimsPerLane, KvElement kElement>
__global__ void __launch_bounds__(32 * kWarps)
    attention_chunk_kernel(const float* __restrict__ q, const TokenCache* __restrict__ tokens, KvLayout kv,
                           int32_t layer, AttentionShape s, int n_chunks, float* __restrict__ partials) {
  const int chunk = blockIdx.x, head = blockIdx.y, t = blockIdx.z;
  const int warp = threadIdx.x / 32, lane = threadIdx.x % 32;
  const TokenCache tc = tokens[t];
  const int n_past = tc.pos + 1;
  const int chunk_len = (n_past + n_chunks - 1) / n_chunks;
  const int begin = chunk * chunk_len, end = min(n_past, begin + chunk_len);
  const int64_t head_offset = int64_t{head / (s.n_head / s.n_head_kv)} * head_bytes<kElement>(s.head_dim);
  const int32_t* table = kv.tables + int64_t{tc.table} * kv.table_width;
  const int d0 = lane * kDimsPerLane;

  float qr[kDimsPerLane], acc[kDimsPerLane];
  const float* qh = q + (int64_t{t} * s.n_head + head) * s.head_dim;
#pragma unroll
  for (int i = 0; i < kDimsPerLane; ++i) {
    const float qd = d0 + i < s.head_dim ? qh[d0 + i] : 0.0f;
    qr[i] = kElement == KvElement::F16 ? __half2float(__float2half_rn(qd)) : qd;
    acc[i] = 0.0f;
  }
  const float scale = __fdiv_rn(1.0f, __fsqrt_rn(static_cast<float>(s.head_dim)));  // as the CPU
  float m = -INFINITY, l = 0.0f;
  for (int j = begin + warp; j < end; j += kWarps) {
    const int64_t row = kv_row_offset(kv, table, layer, j) + head_offset;
    const uint8_t* kj = kv.k + row;
    float dot = 0.0f;
#pragma unroll
    for (int i = 0; i < kDimsPerLane; ++i) {
      if (d0 + i < s.head_dim) dot = fmaf(qr[i], kv_at<kElement>(kj, d0 + i), dot);
    }
    dot = warp_sum(dot);
    const float score = dot * scale;
    const float m_new = fmaxf(m, score);
    const float correction = expf(m - m_new);  // 0 on the first position (m = -inf)
    const float p = expf(score - m_new);
    l = l * correction + p;
    const uint8_t* vj = kv.v + row;
#pragma unroll
    for (int i = 0; i < kDimsPerLane; ++i) {
      const float vd = d0 + i < s.head_dim ? kv_at<kElement>(vj, d0 + i) : 0.0f;
      acc[i] = fmaf(p, vd, acc[i] * correction);
    }
    m = m_new;
  }

  // Merge the warps: smem holds each warp's m, l and acc.
  __shared__ float warp_m[kWarps], warp_l[kWarps];
  __shared__ float warp_acc[kWarps][kAttentionMaxHeadDim];
#pragma unroll
  for (int i = 0; i < kDimsPerLane; ++i) {
    if (d0 + i < s.head_dim) warp_acc[warp][d0 + i] = acc[i];
  }
  if (lane == 0) {
    warp_m[warp] = m;
    warp_l[warp] = l;
  }
  __syncthreads();
  float block_m = -INFINITY;
  for (int w = 0; w < kWarps; ++w) block_m = fmaxf(block_m, warp_m[w]);
  float weight[kWarps];
  float block_l = 0.0f;
  for (int w = 0; w < kWarps; ++w) {
    weight[w] = warp_m[w] == -INFINITY ? 0.0f : expf(warp_m[w] - block_m);
    block_l += weight[w] * warp_l[w];
  }
  const int64_t slot = (int64_t{t} * s.n_head + head) * n_chunks + chunk;
  float* out = partial_at(partials, slot, s.head_dim);
  for (int d = threadIdx.x; d < s.head_dim; d += 32 * kWarps) {
    float a = 0.0f;
    for (int w = 0; w < kWarps; ++w) a += weight[w] * warp_acc[w][d];
    out[d] = a;
  }
  if (threadIdx.x == 0) {
    out[s.head_dim] = block_m;
    out[s.head_dim + 1] = block_l;
  }
}

// A block per (token, head): the chunks' maxima and sums are staged in shared memory and each
// chunk's weight exp(m_c - m) computed once, by one thread; every thread then sums l in chunk order
// and folds its dimensions over the chunks, loads in flight together: the same arithmetic in the
// same order as when each thread read and weighed every chunk itself, for up to 64 chunks.
__global__ void attention_merge_kernel(const float* __restrict__ partials, AttentionShape s, int n_chunks,
                                       float* __restrict__ out) {
  __shared__ float chunk_m[kMaxChunks], chunk_l[kMaxChunks], weight[kMaxChunks];
  const int head = blockIdx.x, t = blockIdx.y;
  const int64_t first = (int64_t{t} * s.n_head + head) * n_chunks;
  const int64_t stride = s.head_dim + 2;
  const float* p = partials + first * stride;
  for (int c = threadIdx.x; c < n_chunks; c += blockDim.x) {
    chunk_m[c] = p[c * stride + s.head_dim];
    chunk_l[c] = p[c * stride + s.head_dim + 1];
  }
  __syncthreads();
  float m = -INFINITY;
  for (int c = 0; c < n_chunks; ++c) m = fmaxf(m, chunk_m[c]);
  for (int c = threadIdx.x; c < n_chunks; c += blockDim.x) {
    weight[c] = chunk_m[c] == -INFINITY ? 0.0f : expf(chunk_m[c] - m);
  }
  __syncthreads();
  float l = 0.0f;
  for (int c = 0; c < n_chunks; ++c) {
    if (chunk_m[c] != -INFINITY) l += weight[c] * chunk_l[c];
  }
  const float inv_l = 1.0f / l;
  float* dst = out + (int64_t{t} * s.n_head + head) * s.head_dim;
  for (int d = threadIdx.x; d < s.head_dim; d += blockDim.x) {
    float a = 0.0f;
#pragma unroll 8
    for (int c = 0; c < n_chunks; ++c) {
      if (chunk_m[c] != -INFINITY) a += weight[c] * p[c * stride + d];
    }
    dst[d] = a * inv_l;
  }
}

template <int kDimsPerLane, KvElement kElement>
void launch_chunks_of(const float* q, const TokenCache* tokens, const KvLayout& kv, int64_t n_tokens, int32_t layer,
                   const AttentionShape& s, int n_chunks, float* partials, cudaStream_t stream) {
  const dim3 grid(static_cast<unsigned>(n_chunks), static_cast<unsigned>(s.n_head), static_cast<unsigned>(n_tokens));
  attention_chunk_kernel<kDimsPerLane, kElement>
      <<<grid, 32 * kWarps, 0, stream>>>(q, tokens, kv, layer, s, n_chunks, partials);
  CUDA_CHECK_LAUNCH("attention_chunk_kernel");
}

template <int kDimsPerLane>
void launch_chunks(const float* q, const TokenCache* tokens, const KvLayout& kv, int64_t n_tokens, int32_t layer,
                   const AttentionShape& s, int n_chunks, float* partials, cudaStream_t stream) {
  constexpr auto f16 = launch_chunks_of<kDimsPerLane, KvElement::F16>;
  constexpr auto q8_0 = launch_chunks_of<kDimsPerLane, KvElement::Q8_0>;
  constexpr auto f32 = launch_chunks_of<kDimsPerLane, KvElement::F32>;
  const auto launch = kv.element == KvElement::F16 ? f16 : kv.element == KvElement::Q8_0 ? q8_0 : f32;
  launch(q, tokens, kv, n_tokens, layer, s, n_chunks, partials, stream);
}

void launch_naive(const float* q, const TokenCache* tokens, const KvLayout& kv, int64_t n_tokens, int32_t layer,
                  const AttentionShape& s, int n_chunks, float* partials, cudaStream_t stream) {
  const auto launch = s.head_dim <= 32 ? launch_chunks<1> : s.head_dim <= 64 ? launch_chunks<2>
                      : s.head_dim <= 128 ? launch_chunks<4> : launch_chunks<8>;
  launch(q, tokens, kv, n_tokens, layer, s, n_chunks, partials, stream);
}

}  // namespace

AttentionKernels attention_kernels(int64_t n_tokens, bool one_sequence, const KvLayout& kv,
                                   const AttentionShape& shape) {
  const bool decode = decode_attention_takes(kv, shape);
  const char* choice = std::getenv("NT_ATTENTION");
  if (choice && std::strcmp(choice, "naive") == 0) return AttentionKernels::Naive;
  if (choice && std::strcmp(choice, "flash") == 0) return AttentionKernels::Flash;
  if (choice && std::strcmp(choice, "decode") == 0 && decode) return AttentionKernels::Decode;
  // Tokens of several sequences read a table each, so flash attention's blocks would hold one
  // token too: the decode kernels do that with wider reads.
  if (kDecodeKernelsByDefault && decode && (n_tokens < kFlashMinTokens || !one_sequence)) {
    return AttentionKernels::Decode;
  }
  return n_tokens >= kFlashMinTokens ? AttentionKernels::Flash : AttentionKernels::Naive;
}

int64_t attention_scratch_floats(int64_t n_slots, int32_t head_dim) { return n_slots * (int64_t{head_dim} + 2); }

int32_t attention_chunks(int32_t max_n_past, int64_t n_tokens, int32_t n_head, int64_t scratch_slots) {
  const int64_t per_chunk = n_tokens < kFlashMinTokens ? kDecodePositionsPerChunk : kPositionsPerChunk;
  const int64_t most = n_tokens < kFlashMinTokens ? kMaxChunks : kMaxPromptChunks;
  const int64_t chunks = std::clamp<int64_t>((max_n_past + per_chunk - 1) / per_chunk, 1, most);
  return static_cast<int32_t>(std::max<int64_t>(1, std::min(chunks, scratch_slots / (n_tokens * n_head))));
}

void attention(const float* q, const TokenCache* tokens, const KvLayout& kv, int64_t n_tokens, bool one_sequence,
               int32_t layer, const AttentionShape& shape, int32_t max_n_past, float* scratch, int64_t scratch_slots,
               float* out, cudaStream_t stream) {
  if (n_tokens <= 0) return;
  if (shape.head_dim <= 0 || shape.head_dim > kAttentionMaxHeadDim || shape.n_head_kv <= 0 ||
      shape.n_head % shape.n_head_kv != 0) {
    throw EngineError(NT_E_UNSUPPORTED, "the CUDA attention supports head_dim 1.." +
                                            std::to_string(kAttentionMaxHeadDim) + " and n_head a multiple of " +
                                            "n_head_kv; got head_dim " + std::to_string(shape.head_dim));
  }
  const int64_t heads = n_tokens * shape.n_head;
  if (scratch_slots < heads) throw EngineError(NT_E_INTERNAL, "attention scratch too small for the pass");
  const int chunks = attention_chunks(max_n_past, n_tokens, shape.n_head, scratch_slots);
  const AttentionKernels kernels = attention_kernels(n_tokens, one_sequence, kv, shape);
  if (kernels == AttentionKernels::Decode) {
    decode_attention_partials(q, tokens, kv, n_tokens, one_sequence, layer, shape, chunks, scratch, stream);
  } else if (kernels == AttentionKernels::Naive ||
             !flash_attention_partials(q, tokens, kv, n_tokens, one_sequence, layer, shape, chunks, scratch, stream)) {
    launch_naive(q, tokens, kv, n_tokens, layer, shape, chunks, scratch, stream);
  }
  const dim3 grid(static_cast<unsigned>(shape.n_head), static_cast<unsigned>(n_tokens));
  attention_merge_kernel<<<grid, 128, 0, stream>>>(scratch, shape, chunks, out);
  CUDA_CHECK_LAUNCH("attention_merge_kernel");
}

}  // namespace nt::cuda
