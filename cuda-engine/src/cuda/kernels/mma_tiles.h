// The integer tensor-core GEMM's tile shapes (cuda/kernels/mma_gemm.cuh) and the one place that
// chooses among them, plain C++ so the CPU tests check their shared-memory layout and the choice
// (test/cuda_host/mma_fragments_test.cc, mma_tile_choice_test.cc).
#pragma once

#include <cstdint>
#include <cstring>

#include "cuda/quant/mma_q8.h"

namespace nt::cuda {

template <int kRows_, int kTokens_, int kStage_, int kWarpsM_, int kWarpsN_, int kMinCtas_, bool kUnrollLoads_,
          int kBuffers_ = 1>
struct MmaTile {
  static constexpr int kRows = kRows_;      // weight rows per CTA
  static constexpr int kTokens = kTokens_;  // tokens per CTA
  static constexpr int kStage = kStage_;    // reduction values per shared-memory stage
  static constexpr int kSlices = kStage / 32;
  // kWarpsM x kWarpsN warps, each kWarpRows rows x kWarpTokens tokens: kMi x kNi MMA tiles of 16 x 8.
  static constexpr int kWarpsM = kWarpsM_, kWarpsN = kWarpsN_;
  static constexpr int kThreads = 32 * kWarpsM * kWarpsN;
  static constexpr int kWarpRows = kRows / kWarpsM, kWarpTokens = kTokens / kWarpsN;
  static constexpr int kMi = kWarpRows / 16, kNi = kWarpTokens / 8;
  // CTAs per SM the registers must allow (__launch_bounds__), as many as the shared memory allows
  // or near it: the loads of one CTA's stage wait with no other work, so the SM needs other CTAs.
  static constexpr int kMinCtas = kMinCtas_;
  // Whether a thread's loads of a stage are unrolled, to be in flight together: the narrow tiles
  // have registers to spare; 64 x 64 and the 128-row tiles would spill.
  static constexpr bool kUnrollLoads = kUnrollLoads_;
  // Row stride in 32-bit words: kStage / 4 + 4 makes the 8 rows x 4 words a fragment load touches
  // fall in 32 different banks (stride 4 mod 32 for stages of 128 values or more, 20 for 64; the
  // CPU test checks every tile).
  static constexpr int kWords = kStage / 4 + 4;
  // Shared-memory stages: 1, or 2 to load the next stage while this one computes (one barrier per
  // stage instead of two).
  static constexpr int kBuffers = kBuffers_;
  static_assert(kWarpRows % 16 == 0 && kWarpTokens % 8 == 0 && kStage % 64 == 0, "whole MMA tiles per warp");
  static_assert(kBuffers == 1 || kBuffers == 2, "one or two stages");
  static_assert((kRows * kSlices) % kThreads == 0 && (kTokens * kStage / 16) % kThreads == 0 &&
                    (kTokens * kSlices) % kThreads == 0,
                "every thread loads the same number of pieces");
};
// Prefill (more than 32 tokens): 128 x 128 (8 warps of 64 x 32) where a matrix gives enough CTAs,
// 128 x 64 (8 warps of 32 x 32), or 64 x 64 (4 warps of 32 x 32, the first prefill tile). A few
// sequences decoding together (and prefill on small matrices): 32 rows x 16 or 32 tokens, so no
// MMA works on padding tokens and a 4096-row matrix still gives 128 CTAs, with 512-value stages to
// keep as many weight bytes in flight per CTA.
using LargeTile = MmaTile<128, 128, 128, 2, 4, 2, false>;
// 128 x 128 pipelined: two stages of 64 values in the same 48 KiB (chosen only by NT_MMA_TILE=128p
// until the GPU measures it against LargeTile).
using LargePipeTile = MmaTile<128, 128, 64, 2, 4, 2, false, 2>;
using WideTile = MmaTile<128, 64, 128, 4, 2, 2, false>;
using PrefillTile = MmaTile<64, 64, 256, 2, 2, 4, false>;
using Batch16Tile = MmaTile<32, 16, 512, 2, 2, 5, true>;
using Batch32Tile = MmaTile<32, 32, 512, 2, 2, 4, true>;

// What a kernel may declare statically; the tiles stay within it (no opt-in, no dynamic memory).
constexpr int kMmaStaticSharedBytes = 48 * 1024;

// The shared memory of one stage of tile T's kernel for weights whose scales cover kGroup values
// (with offsets: kBias): the 8-bit weight and activation tiles and one RowFactors / TokenFactors
// per row or token and 32-value slice (mma_q8.h). The kernel asserts that its stage is this size;
// it holds kBuffers of them.
template <class T, int kGroup, bool kBias>
constexpr int kMmaTileSharedBytes =
    4 * (T::kRows + T::kTokens) * T::kWords +
    static_cast<int>(T::kRows * T::kSlices * sizeof(mma::RowFactors<kGroup, kBias>)) +
    static_cast<int>(T::kTokens * T::kSlices * sizeof(mma::TokenFactors<kGroup, kBias>));

// Dynamic shared memory every GPU from sm_80 gives one CTA (sm_86 and sm_89: 99 KiB; sm_80 163,
// sm_90 227), so the staged kernel needs no check of the device.
constexpr int kMmaDynamicSharedBytes = 99 * 1024;

// The staged kernel's shared memory (mma_gemm_staged.cuh; tile T, weight format U): the stage as
// kMmaTileSharedBytes counts it, then per row the weight blocks one stage reads (one block of 256
// values, or kStage / 32 blocks of 32), copied from the 16-byte boundary at or below the first:
// the matrix starts 16-byte aligned, its rows and blocks need not (a Q6_K row of 256 values is 210
// bytes), so a row keeps up to 15 bytes before its blocks and their words keep the alignment
// unpack32 expects (cuda/quant/mma_unpack.h).
template <class U, class T>
struct MmaRawStage {
  static_assert(T::kStage % U::kBlockElements == 0 || U::kBlockElements % T::kStage == 0, "stages and blocks nest");
  static constexpr int kBlocks = T::kStage >= U::kBlockElements ? T::kStage / U::kBlockElements : 1;
  static constexpr int kRowBytes = (15 + kBlocks * U::kBlockBytes + 15) / 16 * 16;
  static constexpr int kChunks = kRowBytes / 16;  // 16-byte copies per row
  static constexpr int kRawOffset = (kMmaTileSharedBytes<T, U::kGroup, U::kBias> + 15) / 16 * 16;
  static constexpr int kSharedBytes = kRawOffset + T::kRows * kRowBytes;
};

enum class MmaTileKind { kBatch16, kBatch32, kPrefill64, kWide128x64, kLarge128, kLarge128Pipelined, kLarge128Staged };

constexpr int64_t mma_tile_ctas(int64_t rows, int64_t n_tokens, int tile_rows, int tile_tokens) {
  return ((rows + tile_rows - 1) / tile_rows) * ((n_tokens + tile_tokens - 1) / tile_tokens);
}

// The tile for a product of rows x n_tokens (n_tokens > 8) on a GPU of sms multiprocessors.
// Up to 16 tokens the 32 x 16 tile, up to 32 the 32 x 32. More: the largest tile that still gives
// every SM a CTA (a larger tile reads each weight and activation byte fewer times and keeps its
// scales for more outputs; an SM holds two of the 128-row tiles or four of the smaller), 128 x 128
// only where its shared memory fits (large_fits: not for weights with 16-value scales and offsets,
// Q2_K), and the 32 x 32 tile where even 64 x 64 would leave SMs idle (an 8B model's 1024-row k
// and v projections: 128 CTAs of 64 x 64, 512 of 32 x 32). forced (NT_MMA_TILE, for benches and
// tests; nullptr or anything else: the choice above) takes a tile for more than 32 tokens by name:
// "32" (32 x 32), "64" (64 x 64), "128x64", "128" (128 x 128), "128p" (128 x 128 pipelined), "128s"
// (128 x 128 with the next stage's weight blocks copied while this one computes,
// mma_gemm_staged.cuh); the static 128 x 128 tiles fit where large_fits says (else 64 x 64), the
// staged one, in dynamic shared memory, for every format.
inline MmaTileKind choose_mma_tile(int64_t rows, int64_t n_tokens, int sms, bool large_fits, const char* forced) {
  if (n_tokens <= Batch16Tile::kTokens) return MmaTileKind::kBatch16;
  if (n_tokens <= Batch32Tile::kTokens) return MmaTileKind::kBatch32;
  if (forced != nullptr && std::strcmp(forced, "32") == 0) return MmaTileKind::kBatch32;
  if (forced != nullptr && std::strcmp(forced, "64") == 0) return MmaTileKind::kPrefill64;
  if (forced != nullptr && std::strcmp(forced, "128x64") == 0) return MmaTileKind::kWide128x64;
  if (forced != nullptr && std::strcmp(forced, "128") == 0) {
    return large_fits ? MmaTileKind::kLarge128 : MmaTileKind::kPrefill64;
  }
  if (forced != nullptr && std::strcmp(forced, "128p") == 0) {
    return large_fits ? MmaTileKind::kLarge128Pipelined : MmaTileKind::kPrefill64;
  }
  if (forced != nullptr && std::strcmp(forced, "128s") == 0) return MmaTileKind::kLarge128Staged;
  if (large_fits && mma_tile_ctas(rows, n_tokens, LargeTile::kRows, LargeTile::kTokens) >= sms) {
    return MmaTileKind::kLarge128;
  }
  if (mma_tile_ctas(rows, n_tokens, WideTile::kRows, WideTile::kTokens) >= sms) return MmaTileKind::kWide128x64;
  if (mma_tile_ctas(rows, n_tokens, PrefillTile::kRows, PrefillTile::kTokens) >= sms) return MmaTileKind::kPrefill64;
  return MmaTileKind::kBatch32;
}

// Whether the GEMM's float step per 32 values converts and scales each integer sum with one fma
// (mma::combine_biased: the same results, fewer float instructions); env is NT_MMA_FUSED: "1" takes
// it, anything else or unset the earlier subtraction and multiplication. Opt-in: on an H200 it did
// not pay (8B pp512 6207 vs 6312 t/s) and its bit-exact GPU tests have not run yet.
inline bool mma_fused_epilogue(const char* env) { return env != nullptr && std::strcmp(env, "1") == 0; }

}  // namespace nt::cuda
