// The integer tensor-core GEMM's tile shapes (cuda/kernels/mma_gemm.cuh), plain C++ so the CPU
// tests check their shared-memory layout (test/cuda_host/mma_fragments_test.cc).
#pragma once

namespace nt::cuda {

template <int kRows_, int kTokens_, int kStage_, int kMinCtas_, bool kUnrollLoads_>
struct MmaTile {
  static constexpr int kRows = kRows_;      // weight rows per CTA
  static constexpr int kTokens = kTokens_;  // tokens per CTA
  static constexpr int kStage = kStage_;    // reduction values per shared-memory stage
  static constexpr int kSlices = kStage / 32;
  static constexpr int kThreads = 128;
  // CTAs per SM the registers must allow (__launch_bounds__), as many as the shared memory allows
  // or near it: the loads of one CTA's stage wait with no other work, so the SM needs other CTAs.
  static constexpr int kMinCtas = kMinCtas_;
  // Whether a thread's loads of a stage are unrolled, to be in flight together: the narrow tiles
  // have registers to spare; the 64 x 64 tile would spill.
  static constexpr bool kUnrollLoads = kUnrollLoads_;
  // Row stride in 32-bit words: kStage / 4 is a multiple of 32, + 4 makes the 8 rows x 4 words a
  // fragment load touches fall in 32 different banks.
  static constexpr int kWords = kStage / 4 + 4;
  // 2 x 2 warps, each kRows / 2 rows x kTokens / 2 tokens: kMi x kNi MMA tiles of 16 x 8.
  static constexpr int kMi = kRows / 32, kNi = kTokens / 16;
  static_assert(kRows % 32 == 0 && kTokens % 16 == 0 && kStage % 128 == 0, "whole MMA tiles per warp");
  static_assert((kRows * kSlices) % kThreads == 0 && (kTokens * kStage / 16) % kThreads == 0 &&
                    (kTokens * kSlices) % kThreads == 0,
                "every thread loads the same number of pieces");
};
using PrefillTile = MmaTile<64, 64, 256, 4, false>;  // 40-48 KiB of shared memory
using Batch16Tile = MmaTile<32, 16, 512, 5, true>;   // 30-36 KiB
using Batch32Tile = MmaTile<32, 32, 512, 4, true>;   // 39-47 KiB

}  // namespace nt::cuda
