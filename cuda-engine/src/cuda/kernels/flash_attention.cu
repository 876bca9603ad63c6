// Flash attention (flash_attention.h): tiles of query rows against tiles of cached positions.
//
// A block runs four warps over query rows of one KV head: (token, query head) pairs of that head's
// GQA group, for one token (decode, or tokens of different sequences) or for consecutive tokens of
// one sequence (prefill), whose positions it splits into chunks (blockIdx.x). Each tile of keys and
// values is read from the paged cache once per block, into shared memory, and serves every row:
// the group's query heads share it, and in prefill so do the tile's tokens. The causal mask is each
// row's own position; rows and positions past the pass's are masked, never read.
//
// Two kernels:
//  - flash_rows_kernel (CUDA cores, every cache type): up to 16 rows (8 for heads over 128 values),
//    4 a warp; the keys and values are widened to F32 in shared memory (q rounded to F16 first
//    with an F16 cache, as the naive kernel and the CPU's F16 dot do); a warp scores a row over a
//    tile of 32 positions a lane each, then folds the tile into its running output with an
//    online softmax, in F32 as the naive kernel.
//  - flash_mma_kernel (tensor cores, F16 cache, prefill of one sequence, heads of 64 or 128): 64
//    rows, 16 a warp; S = Q·Kᵀ and O += P·V with mma.sync m16n8k16 (F16 products, F32 sums), the
//    scores' accumulator reused as P's fragment (rounded to F16, as llama.cpp's CUDA flash
//    attention does: the weights lose bits past 2^-11 of their size, which the kernel tests bound).
#include "cuda/kernels/flash_attention.h"

#include <cuda_fp16.h>

#include <cmath>
#include <cstdint>

#include "cuda/cuda_check.h"
#include "cuda/kernels/kv_read.cuh"
#include "cuda/kernels/mma_f16.cuh"
#include "cuda/kernels/warp_sum.cuh"

namespace nt::cuda {

namespace {

constexpr int kWarps = 4;
constexpr int kThreads = 32 * kWarps;

// --- CUDA cores -------------------------------------------------------------------------------

// Rows a warp holds: 4, or 2 for heads of more than 128 values (kDims 8), which keeps the block's
// shared memory (q rows, a key tile with a padded row and a value tile, in F32) under 48 KiB.
__host__ __device__ constexpr int rows_per_warp(int dims) { return dims > 4 ? 2 : 4; }
__host__ __device__ constexpr int max_rows(int dims) { return kWarps * rows_per_warp(dims); }
// Positions per tile: one per lane, or 16 for the widest heads (the same shared-memory bound).
__host__ __device__ constexpr int tile_positions(int dims) { return dims > 4 ? 16 : 32; }

int64_t rows_shared_bytes(int dims, int head_dim) {
  const int64_t tile = tile_positions(dims);
  return (int64_t{max_rows(dims)} * head_dim + tile * (head_dim + 1) + tile * head_dim) * 4;
}

__device__ inline float warp_max(float x) {
#pragma unroll
  for (int offset = 16; offset > 0; offset /= 2) x = fmaxf(x, __shfl_xor_sync(0xFFFFFFFFu, x, offset));
  return x;
}

// The positions a block covers: its chunk of 0 .. the largest position + 1 of its tokens.
struct ChunkRange {
  int begin, end;
};

__device__ inline ChunkRange chunk_range(const TokenCache* tokens, int64_t t0, int n_tokens, int n_chunks) {
  int n_past = 0;
  for (int i = 0; i < n_tokens; ++i) n_past = max(n_past, tokens[t0 + i].pos + 1);
  const int len = (n_past + n_chunks - 1) / n_chunks;
  const int begin = min(n_past, static_cast<int>(blockIdx.x) * len);
  return {begin, min(n_past, begin + len)};
}

// Slot of (token, head, chunk) in the partials (flash_attention.h).
__device__ inline float* partial_slot(float* partials, int64_t t, int head, const AttentionShape& s, int n_chunks) {
  return partials + ((t * s.n_head + head) * n_chunks + blockIdx.x) * (int64_t{s.head_dim} + 2);
}

template <int kDims, KvElement kElement>
__global__ void __launch_bounds__(kThreads)
    flash_rows_kernel(const float* __restrict__ q, const TokenCache* __restrict__ tokens, KvLayout kv,
                      int64_t n_tokens, int tokens_per_block, int32_t layer, AttentionShape s, int n_chunks,
                      float* __restrict__ partials) {
  constexpr int kRows = rows_per_warp(kDims), kTile = tile_positions(kDims);
  extern __shared__ float shared[];
  const int hd = s.head_dim, group = s.n_head / s.n_head_kv, kv_head = blockIdx.y;
  const int warp = threadIdx.x / 32, lane = threadIdx.x % 32;
  const int64_t t0 = int64_t{blockIdx.z} * tokens_per_block;
  const int block_tokens = static_cast<int>(min(int64_t{tokens_per_block}, n_tokens - t0));
  const int n_rows = block_tokens * group;  // row r: token t0 + r / group, query head kv_head * group + r % group
  float* qs = shared;                       // max_rows × hd
  float* ks = qs + max_rows(kDims) * hd;    // kTile × (hd + 1): the padding puts a column's values in distinct banks
  float* vs = ks + kTile * (hd + 1);        // kTile × hd

  for (int i = threadIdx.x; i < n_rows * hd; i += kThreads) {
    const int r = i / hd, d = i % hd;
    const float x = q[((t0 + r / group) * s.n_head + kv_head * group + r % group) * hd + d];
    qs[i] = kElement == KvElement::F16 ? __half2float(__float2half_rn(x)) : x;
  }
  const ChunkRange range = chunk_range(tokens, t0, block_tokens, n_chunks);
  const int32_t* table = kv.tables + int64_t{tokens[t0].table} * kv.table_width;
  const int64_t head_offset = kv_head * head_bytes<kElement>(hd);
  const float scale = __fdiv_rn(1.0f, __fsqrt_rn(static_cast<float>(hd)));  // as the CPU

  int last[kRows];  // each row's position: it sees positions 0..last
  float m[kRows], l[kRows], acc[kRows][kDims];
#pragma unroll
  for (int i = 0; i < kRows; ++i) {
    const int r = warp + kWarps * i;
    last[i] = r < n_rows ? tokens[t0 + r / group].pos : -1;
    m[i] = -INFINITY;
    l[i] = 0.0f;
#pragma unroll
    for (int k = 0; k < kDims; ++k) acc[i][k] = 0.0f;
  }

  // A warp loads whole rows (lane + 32k reads consecutive values) into registers, one tile ahead:
  // the next tile's loads are in flight while the block computes on this one.
  constexpr int kRowsLoaded = kTile / kWarps;
  float kr[kRowsLoaded][kDims], vr[kRowsLoaded][kDims];
  const auto load_tile = [&](int j0) {
    const int n_j = min(kTile, range.end - j0);
#pragma unroll
    for (int jj = 0; jj < kRowsLoaded; ++jj) {
      const int j = warp + kWarps * jj;
      const int64_t offset = j < n_j ? kv_row_offset(kv, table, layer, j0 + j) + head_offset : 0;
#pragma unroll
      for (int k = 0; k < kDims; ++k) {
        const int d = lane + 32 * k;
        const bool in = j < n_j && d < hd;
        kr[jj][k] = in ? kv_at<kElement>(kv.k + offset, d) : 0.0f;
        vr[jj][k] = in ? kv_at<kElement>(kv.v + offset, d) : 0.0f;
      }
    }
  };
  if (range.begin < range.end) load_tile(range.begin);
  for (int j0 = range.begin; j0 < range.end; j0 += kTile) {
    const int n_j = min(kTile, range.end - j0);
    __syncthreads();  // the previous tile is read (and, the first time, q is stored)
#pragma unroll
    for (int jj = 0; jj < kRowsLoaded; ++jj) {
      const int j = warp + kWarps * jj;
#pragma unroll
      for (int k = 0; k < kDims; ++k) {
        const int d = lane + 32 * k;
        if (d < hd) {
          ks[j * (hd + 1) + d] = kr[jj][k];
          vs[j * hd + d] = vr[jj][k];
        }
      }
    }
    __syncthreads();
    if (j0 + kTile < range.end) load_tile(j0 + kTile);
#pragma unroll
    for (int i = 0; i < kRows; ++i) {
      const int visible = min(n_j, last[i] + 1 - j0);  // warp-uniform: the row is the warp's
      if (visible <= 0) continue;
      const float* qr = qs + (warp + kWarps * i) * hd;
      float score = -INFINITY;
      if (lane < visible) {
        const float* kj = ks + lane * (hd + 1);
        float dot = 0.0f;
#pragma unroll 8
        for (int d = 0; d < hd; ++d) dot = fmaf(qr[d], kj[d], dot);
        score = dot * scale;
      }
      const float m_new = fmaxf(m[i], warp_max(score));  // finite: position j0 is visible
      const float correction = expf(m[i] - m_new);          // 0 on the row's first position
      const float p = lane < visible ? expf(score - m_new) : 0.0f;
      l[i] = l[i] * correction + warp_sum(p);
#pragma unroll
      for (int k = 0; k < kDims; ++k) acc[i][k] *= correction;
      for (int j = 0; j < visible; ++j) {
        const float pj = __shfl_sync(0xFFFFFFFFu, p, j);
#pragma unroll
        for (int k = 0; k < kDims; ++k) {
          const int d = lane + 32 * k;
          if (d < hd) acc[i][k] = fmaf(pj, vs[j * hd + d], acc[i][k]);
        }
      }
      m[i] = m_new;
    }
  }

#pragma unroll
  for (int i = 0; i < kRows; ++i) {
    const int r = warp + kWarps * i;
    if (r >= n_rows) continue;
    float* out = partial_slot(partials, t0 + r / group, kv_head * group + r % group, s, n_chunks);
#pragma unroll
    for (int k = 0; k < kDims; ++k) {
      if (lane + 32 * k < hd) out[lane + 32 * k] = acc[i][k];
    }
    if (lane == 0) {
      out[hd] = m[i];
      out[hd + 1] = l[i];
    }
  }
}

template <int kDims, KvElement kElement>
void launch_rows_of(const float* q, const TokenCache* tokens, const KvLayout& kv, int64_t n_tokens,
                    int tokens_per_block, int32_t layer, const AttentionShape& s, int n_chunks, float* partials,
                    cudaStream_t stream) {
  const int64_t blocks = (n_tokens + tokens_per_block - 1) / tokens_per_block;
  const dim3 grid(static_cast<unsigned>(n_chunks), static_cast<unsigned>(s.n_head_kv), static_cast<unsigned>(blocks));
  const auto bytes = static_cast<size_t>(rows_shared_bytes(kDims, s.head_dim));
  flash_rows_kernel<kDims, kElement><<<grid, kThreads, bytes, stream>>>(q, tokens, kv, n_tokens, tokens_per_block,
                                                                         layer, s, n_chunks, partials);
  CUDA_CHECK_LAUNCH("flash_rows_kernel");
}

template <int kDims>
void launch_rows(const float* q, const TokenCache* tokens, const KvLayout& kv, int64_t n_tokens, int tokens_per_block,
                 int32_t layer, const AttentionShape& s, int n_chunks, float* partials, cudaStream_t stream) {
  constexpr auto f16 = launch_rows_of<kDims, KvElement::F16>;
  constexpr auto q8_0 = launch_rows_of<kDims, KvElement::Q8_0>;
  constexpr auto f32 = launch_rows_of<kDims, KvElement::F32>;
  const auto launch = kv.element == KvElement::F16 ? f16 : kv.element == KvElement::Q8_0 ? q8_0 : f32;
  launch(q, tokens, kv, n_tokens, tokens_per_block, layer, s, n_chunks, partials, stream);
}

// --- Tensor cores (F16 cache) -------------------------------------------------------------------

constexpr int kMmaRows = 16 * kWarps;  // query rows per block
constexpr int kMmaTile = 32;           // positions per tile: 4 column tiles of S, 2 reduction steps of P·V

// Fragments (PTX ISA, "mma.m16n8k16 with floating point type"; cuda/kernels/mma_fragments.h), with
// g = lane / 4 and t = lane % 4: A register r holds row g + 8 (r & 1), columns 2t + 8 (r >> 1) and
// the next; B register r rows (reduction index) 2t + 8r and the next, column g; the accumulator's
// elements i are row g + 8 (i >> 1), column 2t + (i & 1). So a thread holds two query rows (g and
// g + 8 of its warp's 16), and the accumulator of S over two adjacent 8-position tiles is, element
// for element, P's A fragment for those 16 positions.
template <int kHd>
__global__ void __launch_bounds__(kThreads)
    flash_mma_kernel(const float* __restrict__ q, const TokenCache* __restrict__ tokens, KvLayout kv,
                     int64_t n_tokens, int tokens_per_block, int32_t layer, AttentionShape s, int n_chunks,
                     float* __restrict__ partials) {
  constexpr int kStride = kHd + 8;  // halves per shared row: 16 bytes of padding spread a column over the banks
  __shared__ __align__(16) __half ks[kMmaTile * kStride];
  __shared__ __align__(16) __half vs[kMmaTile * kStride];
  const int group = s.n_head / s.n_head_kv, kv_head = blockIdx.y;
  const int warp = threadIdx.x / 32, lane = threadIdx.x % 32, g = lane / 4, t = lane % 4;
  const int64_t t0 = int64_t{blockIdx.z} * tokens_per_block;
  const int block_tokens = static_cast<int>(min(int64_t{tokens_per_block}, n_tokens - t0));
  const int n_rows = block_tokens * group;

  // This thread's two rows (h = 0: g, h = 1: g + 8 of the warp's 16): visible up to last[h].
  int last[2];
  const float* q_row[2];
#pragma unroll
  for (int h = 0; h < 2; ++h) {
    const int r = warp * 16 + g + 8 * h;
    last[h] = r < n_rows ? tokens[t0 + r / group].pos : -1;
    q_row[h] = r < n_rows ? q + ((t0 + r / group) * s.n_head + kv_head * group + r % group) * kHd : nullptr;
  }
  uint32_t qf[kHd / 16][4];  // Q as A fragments, rounded to F16 (the CPU's F16 dot rounds q too)
#pragma unroll
  for (int kk = 0; kk < kHd / 16; ++kk) {
#pragma unroll
    for (int r = 0; r < 4; ++r) {
      const float* row = q_row[r & 1];
      const int c = kk * 16 + 2 * t + 8 * (r >> 1);
      qf[kk][r] = row ? half2_bits(row[c], row[c + 1]) : 0u;
    }
  }
  const ChunkRange range = chunk_range(tokens, t0, block_tokens, n_chunks);
  const int32_t* table = kv.tables + int64_t{tokens[t0].table} * kv.table_width;
  const int64_t head_offset = int64_t{kv_head} * kHd * 2;
  const float scale = __fdiv_rn(1.0f, __fsqrt_rn(static_cast<float>(kHd)));
  const bool warp_has_rows = warp * 16 < n_rows;

  float o[kHd / 8][4] = {};
  float m[2] = {-INFINITY, -INFINITY}, l[2] = {0.0f, 0.0f};
  for (int j0 = range.begin; j0 < range.end; j0 += kMmaTile) {
    __syncthreads();  // the previous tile is read
    constexpr int kChunks = kHd / 8;  // 16-byte pieces of a row
    for (int i = threadIdx.x; i < kMmaTile * kChunks; i += kThreads) {
      const int j = i / kChunks, c = (i % kChunks) * 8;
      uint4 kx = {0, 0, 0, 0}, vx = {0, 0, 0, 0};
      if (j0 + j < range.end) {
        const int64_t offset = kv_row_offset(kv, table, layer, j0 + j) + head_offset + c * 2;
        kx = *reinterpret_cast<const uint4*>(kv.k + offset);
        vx = *reinterpret_cast<const uint4*>(kv.v + offset);
      }
      *reinterpret_cast<uint4*>(ks + j * kStride + c) = kx;
      *reinterpret_cast<uint4*>(vs + j * kStride + c) = vx;
    }
    __syncthreads();
    if (!warp_has_rows) continue;

    float sc[4][4] = {};  // S for positions j0 + 8n .. j0 + 8n + 7
#pragma unroll
    for (int n = 0; n < 4; ++n) {
      const __half* krow = ks + (n * 8 + g) * kStride + 2 * t;
#pragma unroll
      for (int kk = 0; kk < kHd / 16; ++kk) {
        const uint32_t b0 = *reinterpret_cast<const uint32_t*>(krow + kk * 16);
        const uint32_t b1 = *reinterpret_cast<const uint32_t*>(krow + kk * 16 + 8);
        mma_f16(sc[n], qf[kk], b0, b1);
      }
    }
    float tile_max[2] = {-INFINITY, -INFINITY};
#pragma unroll
    for (int n = 0; n < 4; ++n) {
#pragma unroll
      for (int i = 0; i < 4; ++i) {
        const int h = i >> 1, p = j0 + n * 8 + 2 * t + (i & 1);
        sc[n][i] = p < range.end && p <= last[h] ? sc[n][i] * scale : -INFINITY;
        tile_max[h] = fmaxf(tile_max[h], sc[n][i]);
      }
    }
    float correction[2];
#pragma unroll
    for (int h = 0; h < 2; ++h) {  // a row's 32 scores are spread over the 4 lanes of its group
      tile_max[h] = fmaxf(tile_max[h], __shfl_xor_sync(0xFFFFFFFFu, tile_max[h], 1));
      tile_max[h] = fmaxf(tile_max[h], __shfl_xor_sync(0xFFFFFFFFu, tile_max[h], 2));
      const float m_new = fmaxf(m[h], tile_max[h]);
      const float base = m_new == -INFINITY ? 0.0f : m_new;  // a row that sees nothing yet keeps zeros
      correction[h] = expf(m[h] - base);
      m[h] = m_new;
      tile_max[h] = base;
    }
    float sum[2] = {0.0f, 0.0f};
#pragma unroll
    for (int n = 0; n < 4; ++n) {
#pragma unroll
      for (int i = 0; i < 4; ++i) {
        sc[n][i] = expf(sc[n][i] - tile_max[i >> 1]);
        sum[i >> 1] += sc[n][i];
      }
    }
#pragma unroll
    for (int h = 0; h < 2; ++h) {
      sum[h] += __shfl_xor_sync(0xFFFFFFFFu, sum[h], 1);
      sum[h] += __shfl_xor_sync(0xFFFFFFFFu, sum[h], 2);
      l[h] = l[h] * correction[h] + sum[h];
    }
#pragma unroll
    for (int dn = 0; dn < kHd / 8; ++dn) {
#pragma unroll
      for (int i = 0; i < 4; ++i) o[dn][i] *= correction[i >> 1];
    }
#pragma unroll
    for (int step = 0; step < 2; ++step) {  // positions j0 + 16 step .. + 15
      const uint32_t a[4] = {half2_bits(sc[2 * step][0], sc[2 * step][1]), half2_bits(sc[2 * step][2], sc[2 * step][3]),
                             half2_bits(sc[2 * step + 1][0], sc[2 * step + 1][1]),
                             half2_bits(sc[2 * step + 1][2], sc[2 * step + 1][3])};
      const __half* v0 = vs + (16 * step + 2 * t) * kStride + g;
#pragma unroll
      for (int dn = 0; dn < kHd / 8; ++dn) {
        const __half* v = v0 + dn * 8;
        const uint32_t b0 = half2_bits(v[0], v[kStride]);
        const uint32_t b1 = half2_bits(v[8 * kStride], v[9 * kStride]);
        mma_f16(o[dn], a, b0, b1);
      }
    }
  }

#pragma unroll
  for (int h = 0; h < 2; ++h) {
    const int r = warp * 16 + g + 8 * h;
    if (r >= n_rows) continue;
    float* out = partial_slot(partials, t0 + r / group, kv_head * group + r % group, s, n_chunks);
#pragma unroll
    for (int dn = 0; dn < kHd / 8; ++dn) {
      out[dn * 8 + 2 * t] = o[dn][2 * h];
      out[dn * 8 + 2 * t + 1] = o[dn][2 * h + 1];
    }
    if (t == 0) {
      out[kHd] = m[h];
      out[kHd + 1] = l[h];
    }
  }
}

template <int kHd>
void launch_mma(const float* q, const TokenCache* tokens, const KvLayout& kv, int64_t n_tokens, int tokens_per_block,
                int32_t layer, const AttentionShape& s, int n_chunks, float* partials, cudaStream_t stream) {
  const int64_t blocks = (n_tokens + tokens_per_block - 1) / tokens_per_block;
  const dim3 grid(static_cast<unsigned>(n_chunks), static_cast<unsigned>(s.n_head_kv), static_cast<unsigned>(blocks));
  flash_mma_kernel<kHd><<<grid, kThreads, 0, stream>>>(q, tokens, kv, n_tokens, tokens_per_block, layer, s, n_chunks,
                                                       partials);
  CUDA_CHECK_LAUNCH("flash_mma_kernel");
}

}  // namespace

bool flash_attention_partials(const float* q, const TokenCache* tokens, const KvLayout& kv, int64_t n_tokens,
                              bool one_sequence, int32_t layer, const AttentionShape& s, int n_chunks,
                              float* partials, cudaStream_t stream) {
  const int group = s.n_head / s.n_head_kv, hd = s.head_dim;
  // The tensor cores when a block's 64 rows fill: F16 values, whole 16-value steps of the head.
  if (kv.element == KvElement::F16 && one_sequence && (hd == 64 || hd == 128) && group <= kMmaRows &&
      n_tokens * group >= kMmaRows) {
    const int tokens_per_block = kMmaRows / group;
    const auto launch = hd == 64 ? launch_mma<64> : launch_mma<128>;
    launch(q, tokens, kv, n_tokens, tokens_per_block, layer, s, n_chunks, partials, stream);
    return true;
  }
  const int dims = hd <= 32 ? 1 : hd <= 64 ? 2 : hd <= 128 ? 4 : 8;
  const int rows = dims > 4 ? max_rows(8) : max_rows(4);
  if (group > rows) return false;
  // Tokens of different sequences read different block tables: one a block.
  const int tokens_per_block = one_sequence ? rows / group : 1;
  const auto launch = dims == 1 ? launch_rows<1> : dims == 2 ? launch_rows<2> : dims == 4 ? launch_rows<4>
                                                                                       : launch_rows<8>;
  launch(q, tokens, kv, n_tokens, tokens_per_block, layer, s, n_chunks, partials, stream);
  return true;
}

}  // namespace nt::cuda
