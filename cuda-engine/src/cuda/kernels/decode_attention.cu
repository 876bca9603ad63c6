// Decode attention (decode_attention.h): one warp per (chunk, KV head, block of tokens).
//
// The warp streams its chunk's keys and values through shared memory in tiles of 16 positions,
// three tiles in flight (cp.async, 16-byte copies where the layout allows: a head's row of 128 F16
// values is 16 lanes × 16 bytes), so the memory system always has the next tiles' bytes requested
// while the warp computes on this one. Its 16 query rows (a thread holds two: mma's row g and g + 8)
// are F16 A fragments; S = Q·Kᵀ and O += P·V are mma.sync m16n8k16 with F32 sums, the scores'
// accumulator reused as P's fragment (rounded to F16), exactly as flash attention's tensor-core
// prefill (flash_attention.cu) does, with an online softmax per row in F32. A Q8_0 tile is widened
// to F16 in shared memory first (scale × q, rounded to nearest: 2^-11 of the value at most).
// Positions past the chunk are copied as zeros and masked; rows past the block's are never written.
#include "cuda/kernels/decode_attention.h"

#include <cuda_fp16.h>

#include <cmath>
#include <cstdint>

#include "cuda/cuda_check.h"
#include "cuda/kernels/kv_read.cuh"
#include "cuda/kernels/mma_f16.cuh"

namespace nt::cuda {

namespace {

constexpr int kTile = 16;   // positions per tile: the reduction of one P·V mma
constexpr int kStages = 3;  // tiles in flight

// One cp.async of kBytes (4, 8 or 16); `valid` false writes zeros without reading (src-size 0).
// 16-byte copies bypass L1 (.cg): every byte is read once.
template <int kBytes>
__device__ inline void copy_async(void* dst, const void* src, bool valid) {
#if defined(__CUDA_ARCH__) && __CUDA_ARCH__ >= 800
  const unsigned to = static_cast<unsigned>(__cvta_generic_to_shared(dst));
  const unsigned n = valid ? kBytes : 0;
  if constexpr (kBytes == 16) {
    asm volatile("cp.async.cg.shared.global [%0], [%1], 16, %2;\n" ::"r"(to), "l"(src), "r"(n) : "memory");
  } else {
    asm volatile("cp.async.ca.shared.global [%0], [%1], %2, %3;\n" ::"r"(to), "l"(src), "n"(kBytes), "r"(n)
                 : "memory");
  }
#else
  __trap();  // cp.async needs sm_80
#endif
}

__device__ inline void copy_commit() {
#if defined(__CUDA_ARCH__) && __CUDA_ARCH__ >= 800
  asm volatile("cp.async.commit_group;\n" ::: "memory");
#endif
}

// Waits until at most kPending of this thread's committed groups are still in flight.
template <int kPending>
__device__ inline void copy_wait() {
#if defined(__CUDA_ARCH__) && __CUDA_ARCH__ >= 800
  asm volatile("cp.async.wait_group %0;\n" ::"n"(kPending) : "memory");
#endif
}

template <KvElement kElement, int kHd>
__host__ __device__ constexpr int row_bytes() {
  return kElement == KvElement::Q8_0 ? kHd / 32 * 34 : kHd * 2;
}

// Two int8 values (the low 16 bits of `two`) times the block's scale as an F16 pair, exactly as
// rounding scale × q from F32: q + 128 becomes the mantissa of F16 1024 + (q + 128), which less
// 1152 is q exactly; the one F16 product rounds scale × q once. A few full-rate instructions in
// place of conversions that run at a quarter of the rate, which would bind at 32k positions.
__device__ inline __half2 widen_pair(uint32_t two, __half2 scale) {
  const uint32_t biased = __byte_perm(two ^ 0x8080u, 0x64646464u, 0x4140);  // 0x64, u1, 0x64, u0
  const __half2 q = __hsub2(*reinterpret_cast<const __half2*>(&biased), __float2half2_rn(1152.0f));
  return __hmul2(q, scale);
}

// A Q8_0 tile (kTile rows of kHd / 32 blocks, as the cache holds them) widened to F16 rows of
// kStride halves: lane by lane, one 32-value block at a time.
template <int kHd, int kStride>
__device__ inline void widen_q8_0(const uint8_t* raw, __half* tile, int lane) {
  constexpr int kBlocks = kHd / 32, kRowBytes = kBlocks * 34;
  for (int i = lane; i < kTile * kBlocks; i += 32) {
    const int j = i / kBlocks, b = i % kBlocks;
    const uint8_t* block = raw + j * kRowBytes + b * 34;  // 2-byte aligned: the scale, then 32 int8
    const __half2 scale = __half2half2(*reinterpret_cast<const __half*>(block));
    const uint16_t* pairs = reinterpret_cast<const uint16_t*>(block + 2);
    uint32_t widened[16];
#pragma unroll
    for (int k = 0; k < 16; ++k) {
      const __half2 h = widen_pair(pairs[k], scale);  // values 2k (low byte) and 2k + 1
      widened[k] = *reinterpret_cast<const uint32_t*>(&h);
    }
    uint4* dst = reinterpret_cast<uint4*>(tile + j * kStride + b * 32);  // 64 bytes, 16-byte aligned
#pragma unroll
    for (int k = 0; k < 4; ++k) {
      dst[k] = make_uint4(widened[4 * k], widened[4 * k + 1], widened[4 * k + 2], widened[4 * k + 3]);
    }
  }
}

// Fragments as flash_mma_kernel's (PTX ISA, "mma.m16n8k16 with floating point type"), g = lane / 4,
// t = lane % 4: the thread's query rows are g and g + 8; S's accumulator element i is row
// g + 8 (i >> 1), position 2t + (i & 1) of its 8-position half of the tile.
template <int kHd, KvElement kElement, int kWord>
__global__ void __launch_bounds__(32)
    decode_attention_kernel(const float* __restrict__ q, const TokenCache* __restrict__ tokens, KvLayout kv,
                            int64_t n_tokens, int tokens_per_block, int32_t layer, AttentionShape s, int n_chunks,
                            float* __restrict__ partials) {
  constexpr bool kQ8 = kElement == KvElement::Q8_0;
  constexpr int kRowBytes = row_bytes<kElement, kHd>();
  constexpr int kStride = kHd + 8;  // halves per F16 tile row: 16 bytes of padding spread a column over the banks
  constexpr int kStageStride = kQ8 ? kRowBytes : kStride * 2;  // bytes per row of a stage
  constexpr int kStageBytes = kTile * kStageStride;
  constexpr int kWords = kRowBytes / kWord;
  // Stages hold K and V as the cache does (for F16 that is the tile mma reads); Q8_0 is widened
  // into one more pair of F16 tiles.
  __shared__ __align__(16) uint8_t stage[kStages][2][kStageBytes];
  __shared__ __align__(16) __half widened[kQ8 ? 2 : 1][kQ8 ? kTile * kStride : 8];

  const int group = s.n_head / s.n_head_kv, kv_head = blockIdx.y;
  const int lane = threadIdx.x, g = lane / 4, t = lane % 4;
  const int64_t t0 = int64_t{blockIdx.z} * tokens_per_block;
  const int block_tokens = static_cast<int>(min(int64_t{tokens_per_block}, n_tokens - t0));
  const int n_rows = block_tokens * group;  // row r: token t0 + r / group, query head kv_head * group + r % group

  int last[2];  // the thread's rows see positions 0..last[h]; -1 for a row past the block's
  const float* q_row[2];
#pragma unroll
  for (int h = 0; h < 2; ++h) {
    const int r = g + 8 * h;
    last[h] = r < n_rows ? tokens[t0 + r / group].pos : -1;
    q_row[h] = r < n_rows ? q + ((t0 + r / group) * s.n_head + kv_head * group + r % group) * kHd : nullptr;
  }
  uint32_t qf[kHd / 16][4];  // Q rounded to F16, as the F16 cache's CPU dot rounds it
#pragma unroll
  for (int kk = 0; kk < kHd / 16; ++kk) {
#pragma unroll
    for (int r = 0; r < 4; ++r) {
      const float* row = q_row[r & 1];
      const int c = kk * 16 + 2 * t + 8 * (r >> 1);
      qf[kk][r] = row ? half2_bits(row[c], row[c + 1]) : 0u;
    }
  }

  // The chunk: blockIdx.x's share of 0 .. the largest position + 1 of the block's tokens.
  int n_past = 0;
  for (int i = 0; i < block_tokens; ++i) n_past = max(n_past, tokens[t0 + i].pos + 1);
  const int chunk_len = (n_past + n_chunks - 1) / n_chunks;
  const int begin = min(n_past, static_cast<int>(blockIdx.x) * chunk_len);
  const int end = min(n_past, begin + chunk_len);
  const int n_tiles = (end - begin + kTile - 1) / kTile;
  const int32_t* table = kv.tables + int64_t{tokens[t0].table} * kv.table_width;
  const int64_t head_offset = int64_t{kv_head} * kRowBytes;

  // Tile `i` into stage i % kStages: each row's words across the lanes, rows one after another.
  const auto load = [&](int i) {
    const int j0 = begin + i * kTile;
    uint8_t* k_stage = stage[i % kStages][0];
    uint8_t* v_stage = stage[i % kStages][1];
    for (int w = lane; w < kTile * kWords; w += 32) {
      const int j = w / kWords, byte = (w % kWords) * kWord;
      const bool valid = j0 + j < end;
      const int64_t offset = valid ? kv_row_offset(kv, table, layer, j0 + j) + head_offset + byte : 0;
      copy_async<kWord>(k_stage + j * kStageStride + byte, kv.k + offset, valid);
      copy_async<kWord>(v_stage + j * kStageStride + byte, kv.v + offset, valid);
    }
  };
#pragma unroll
  for (int i = 0; i < kStages - 1; ++i) {
    if (i < n_tiles) load(i);
    copy_commit();  // empty groups too, so that the count below always names tile i
  }

  const float scale = __fdiv_rn(1.0f, __fsqrt_rn(static_cast<float>(kHd)));  // as the CPU
  float o[kHd / 8][4] = {};
  float m[2] = {-INFINITY, -INFINITY}, l[2] = {0.0f, 0.0f};
  for (int i = 0; i < n_tiles; ++i) {
    copy_wait<kStages - 2>();  // tile i has landed (this thread's copies)
    __syncwarp();              // ... and every lane's; and tile i - 1 is no longer read
    if (i + kStages - 1 < n_tiles) load(i + kStages - 1);
    copy_commit();
    const int j0 = begin + i * kTile;
    const __half* ks = reinterpret_cast<const __half*>(stage[i % kStages][0]);
    const __half* vs = reinterpret_cast<const __half*>(stage[i % kStages][1]);
    if constexpr (kQ8) {
      widen_q8_0<kHd, kStride>(stage[i % kStages][0], widened[0], lane);
      widen_q8_0<kHd, kStride>(stage[i % kStages][1], widened[1], lane);
      __syncwarp();
      ks = widened[0];
      vs = widened[1];
    }

    float sc[2][4] = {};  // S for positions j0 + 8n .. j0 + 8n + 7
#pragma unroll
    for (int n = 0; n < 2; ++n) {
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
    for (int n = 0; n < 2; ++n) {
#pragma unroll
      for (int e = 0; e < 4; ++e) {
        const int h = e >> 1, p = j0 + n * 8 + 2 * t + (e & 1);
        sc[n][e] = p < end && p <= last[h] ? sc[n][e] * scale : -INFINITY;
        tile_max[h] = fmaxf(tile_max[h], sc[n][e]);
      }
    }
    float correction[2];
#pragma unroll
    for (int h = 0; h < 2; ++h) {  // a row's 16 scores are spread over the 4 lanes of its group
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
    for (int n = 0; n < 2; ++n) {
#pragma unroll
      for (int e = 0; e < 4; ++e) {
        sc[n][e] = expf(sc[n][e] - tile_max[e >> 1]);
        sum[e >> 1] += sc[n][e];
      }
    }
#pragma unroll
    for (int h = 0; h < 2; ++h) {
      sum[h] += __shfl_xor_sync(0xFFFFFFFFu, sum[h], 1);
      sum[h] += __shfl_xor_sync(0xFFFFFFFFu, sum[h], 2);
      l[h] = l[h] * correction[h] + sum[h];
    }
    const uint32_t a[4] = {half2_bits(sc[0][0], sc[0][1]), half2_bits(sc[0][2], sc[0][3]),
                           half2_bits(sc[1][0], sc[1][1]), half2_bits(sc[1][2], sc[1][3])};
    const __half* v0 = vs + 2 * t * kStride + g;
#pragma unroll
    for (int dn = 0; dn < kHd / 8; ++dn) {
#pragma unroll
      for (int e = 0; e < 4; ++e) o[dn][e] *= correction[e >> 1];
      const __half* v = v0 + dn * 8;
      const uint32_t b0 = half2_bits(v[0], v[kStride]);
      const uint32_t b1 = half2_bits(v[8 * kStride], v[9 * kStride]);
      mma_f16(o[dn], a, b0, b1);
    }
  }

#pragma unroll
  for (int h = 0; h < 2; ++h) {
    const int r = g + 8 * h;
    if (r >= n_rows) continue;
    const int64_t slot = ((t0 + r / group) * s.n_head + kv_head * group + r % group) * n_chunks + blockIdx.x;
    float* out = partials + slot * (kHd + 2);
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

// The widest copy (16, 8 or 4 bytes) that every row start of the pool allows: the pointers, the
// strides and a head's offset within its row must all be multiples of it. 0: none (under 4).
int copy_width(const KvLayout& kv, int64_t head_bytes) {
  const auto k = static_cast<int64_t>(reinterpret_cast<uintptr_t>(kv.k));
  const auto v = static_cast<int64_t>(reinterpret_cast<uintptr_t>(kv.v));
  const int64_t all = k | v | kv.block_stride | kv.layer_stride | kv.row_stride | head_bytes;
  for (const int width : {16, 8, 4}) {
    if (all % width == 0) return width;
  }
  return 0;
}

template <int kHd, KvElement kElement, int kWord>
void launch(const float* q, const TokenCache* tokens, const KvLayout& kv, int64_t n_tokens, int tokens_per_block,
            int32_t layer, const AttentionShape& s, int n_chunks, float* partials, cudaStream_t stream) {
  const int64_t blocks = (n_tokens + tokens_per_block - 1) / tokens_per_block;
  const dim3 grid(static_cast<unsigned>(n_chunks), static_cast<unsigned>(s.n_head_kv), static_cast<unsigned>(blocks));
  decode_attention_kernel<kHd, kElement, kWord>
      <<<grid, 32, 0, stream>>>(q, tokens, kv, n_tokens, tokens_per_block, layer, s, n_chunks, partials);
  CUDA_CHECK_LAUNCH("decode_attention_kernel");
}

using Launch = void (*)(const float*, const TokenCache*, const KvLayout&, int64_t, int, int32_t,
                        const AttentionShape&, int, float*, cudaStream_t);

// F16 rows take 16-byte copies in any pool cudaMalloc places (a head is 128 or 256 bytes); Q8_0
// rows (68 or 136 bytes) take 8 or 4.
template <int kHd>
Launch launch_for(KvElement element, int width) {
  if (element == KvElement::F16) {
    return width == 16 ? launch<kHd, KvElement::F16, 16> : launch<kHd, KvElement::F16, 4>;
  }
  return width >= 8 ? launch<kHd, KvElement::Q8_0, 8> : launch<kHd, KvElement::Q8_0, 4>;
}

}  // namespace

bool decode_attention_takes(const KvLayout& kv, const AttentionShape& s) {
  if (kv.element != KvElement::F16 && kv.element != KvElement::Q8_0) return false;
  if (s.head_dim != 64 && s.head_dim != 128) return false;
  if (s.n_head_kv <= 0 || s.n_head % s.n_head_kv != 0 || s.n_head / s.n_head_kv > kDecodeRows) return false;
  const int64_t head = kv.element == KvElement::F16 ? int64_t{s.head_dim} * 2 : s.head_dim / 32 * 34;
  return copy_width(kv, head) >= 4;
}

void decode_attention_partials(const float* q, const TokenCache* tokens, const KvLayout& kv, int64_t n_tokens,
                               bool one_sequence, int32_t layer, const AttentionShape& s, int n_chunks,
                               float* partials, cudaStream_t stream) {
  const int group = s.n_head / s.n_head_kv;
  // Tokens of different sequences read different block tables: one a block.
  const int tokens_per_block = one_sequence ? kDecodeRows / group : 1;
  const int64_t head = kv.element == KvElement::F16 ? int64_t{s.head_dim} * 2 : s.head_dim / 32 * 34;
  const int width = copy_width(kv, head);
  const Launch run = s.head_dim == 64 ? launch_for<64>(kv.element, width) : launch_for<128>(kv.element, width);
  run(q, tokens, kv, n_tokens, tokens_per_block, layer, s, n_chunks, partials, stream);
}

}  // namespace nt::cuda
