// The integer GEMM's choice of tile (cuda/kernels/mma_tiles.h), on the CPU: batch tiles up to 32
// tokens whatever is forced, then the largest tile that gives every SM a CTA, and NT_MMA_TILE's
// names.
#include <gtest/gtest.h>

#include "cuda/kernels/mma_tiles.h"
#include "cuda/quant/mma_unpack.h"

namespace nt::cuda {
namespace {

constexpr int kSms = 132;  // an H100 SXM

TEST(MmaTileChoice, FewTokensTakeTheBatchTilesWhateverIsForced) {
  EXPECT_EQ(choose_mma_tile(14336, 9, kSms, true, nullptr), MmaTileKind::kBatch16);
  EXPECT_EQ(choose_mma_tile(14336, 16, kSms, true, "128"), MmaTileKind::kBatch16);
  EXPECT_EQ(choose_mma_tile(14336, 17, kSms, true, nullptr), MmaTileKind::kBatch32);
  EXPECT_EQ(choose_mma_tile(14336, 32, kSms, true, "64"), MmaTileKind::kBatch32);
}

TEST(MmaTileChoice, PrefillTakesTheLargestTileThatFillsTheGpu) {
  // 14336 x 512 (an 8B model's gate and up): 112 x 4 CTAs of 128 x 128.
  EXPECT_EQ(choose_mma_tile(14336, 512, kSms, true, nullptr), MmaTileKind::kLarge128);
  // Where Q2_K's 128 x 128 tile would not fit: 128 x 64.
  EXPECT_EQ(choose_mma_tile(14336, 512, kSms, false, nullptr), MmaTileKind::kWide128x64);
  // 4096 x 512 (q, o, down): 128 CTAs of 128 x 128 leave SMs idle; 256 of 128 x 64 do not.
  EXPECT_EQ(choose_mma_tile(4096, 512, kSms, true, nullptr), MmaTileKind::kWide128x64);
  // 2048 x 512: 128 CTAs of 128 x 64, 256 of 64 x 64.
  EXPECT_EQ(choose_mma_tile(2048, 512, kSms, true, nullptr), MmaTileKind::kPrefill64);
  // 1024 x 512 (k, v): 128 CTAs of 64 x 64 leave SMs idle; 32 x 32 gives 512.
  EXPECT_EQ(choose_mma_tile(1024, 512, kSms, true, nullptr), MmaTileKind::kBatch32);
  // 14336 x 128: 112 CTAs of 128 x 128, 224 of 128 x 64.
  EXPECT_EQ(choose_mma_tile(14336, 128, kSms, true, nullptr), MmaTileKind::kWide128x64);
  // Small matrices (the CPU-reference tests), a short prompt on a 4096-row matrix: 32 x 32.
  EXPECT_EQ(choose_mma_tile(257, 130, kSms, true, nullptr), MmaTileKind::kBatch32);
  EXPECT_EQ(choose_mma_tile(4096, 64, kSms, true, nullptr), MmaTileKind::kBatch32);
  // A smaller GPU (an RTX 3090's 82 SMs) takes the large tile sooner.
  EXPECT_EQ(choose_mma_tile(4096, 512, 82, true, nullptr), MmaTileKind::kLarge128);
  EXPECT_EQ(choose_mma_tile(4096, 256, 82, true, nullptr), MmaTileKind::kWide128x64);
  EXPECT_EQ(choose_mma_tile(14336, 128, 82, true, nullptr), MmaTileKind::kLarge128);
}

TEST(MmaTileChoice, NtMmaTileForcesAPrefillTileByName) {
  EXPECT_EQ(choose_mma_tile(14336, 512, kSms, true, "32"), MmaTileKind::kBatch32);
  EXPECT_EQ(choose_mma_tile(14336, 512, kSms, true, "64"), MmaTileKind::kPrefill64);
  EXPECT_EQ(choose_mma_tile(14336, 512, kSms, true, "128x64"), MmaTileKind::kWide128x64);
  EXPECT_EQ(choose_mma_tile(1, 33, kSms, true, "128"), MmaTileKind::kLarge128);
  EXPECT_EQ(choose_mma_tile(14336, 512, kSms, false, "128"), MmaTileKind::kPrefill64);
  EXPECT_EQ(choose_mma_tile(1024, 512, kSms, true, "128p"), MmaTileKind::kLarge128Pipelined);
  EXPECT_EQ(choose_mma_tile(14336, 512, kSms, false, "128p"), MmaTileKind::kPrefill64);
  EXPECT_EQ(choose_mma_tile(1024, 512, kSms, true, "128s"), MmaTileKind::kLarge128Staged);
  EXPECT_EQ(choose_mma_tile(14336, 512, kSms, false, "128s"), MmaTileKind::kLarge128Staged);  // dynamic: fits
  EXPECT_EQ(choose_mma_tile(14336, 16, kSms, true, "128s"), MmaTileKind::kBatch16);
  EXPECT_EQ(choose_mma_tile(14336, 512, kSms, true, "256"), MmaTileKind::kLarge128);  // unknown: the default
  EXPECT_EQ(choose_mma_tile(1024, 512, kSms, true, ""), MmaTileKind::kBatch32);
}

// The earlier float step is the default; NT_MMA_FUSED=1, and only that, takes the fused one.
TEST(MmaTileChoice, NtMmaFusedOneTakesTheFusedFloatStep) {
  EXPECT_FALSE(mma_fused_epilogue(nullptr));
  EXPECT_TRUE(mma_fused_epilogue("1"));
  EXPECT_FALSE(mma_fused_epilogue(""));
  EXPECT_FALSE(mma_fused_epilogue("0"));
}

// The staged kernel's rows of weight blocks hold a stage's blocks after up to 15 bytes of
// misalignment, in whole 16-byte copies, and its shared memory fits what every GPU from sm_80
// gives a CTA, for every format.
template <class U>
void expect_raw_stage_fits(const char* format) {
  using R = MmaRawStage<U, LargeTile>;
  EXPECT_GE(R::kBlocks * U::kBlockElements, LargeTile::kStage) << format;
  EXPECT_GE(R::kRowBytes, 15 + R::kBlocks * U::kBlockBytes) << format;
  EXPECT_EQ(R::kRowBytes % 16, 0) << format;
  EXPECT_EQ(R::kRawOffset % 16, 0) << format;
  EXPECT_GE(R::kRawOffset, (kMmaTileSharedBytes<LargeTile, U::kGroup, U::kBias>)) << format;
  EXPECT_LE(R::kSharedBytes, kMmaDynamicSharedBytes) << format;
}

TEST(MmaTileChoice, StagedTileFitsEveryFormatsBlocks) {
  expect_raw_stage_fits<mma::UnpackQ4_0>("Q4_0");
  expect_raw_stage_fits<mma::UnpackQ4_1>("Q4_1");
  expect_raw_stage_fits<mma::UnpackQ5_0>("Q5_0");
  expect_raw_stage_fits<mma::UnpackQ5_1>("Q5_1");
  expect_raw_stage_fits<mma::UnpackQ8_0>("Q8_0");
  expect_raw_stage_fits<mma::UnpackQ2_K>("Q2_K");
  expect_raw_stage_fits<mma::UnpackQ3_K>("Q3_K");
  expect_raw_stage_fits<mma::UnpackQ4_K>("Q4_K");
  expect_raw_stage_fits<mma::UnpackQ5_K>("Q5_K");
  expect_raw_stage_fits<mma::UnpackQ6_K>("Q6_K");
}

}  // namespace
}  // namespace nt::cuda
