// The tensor-core GEMM's fragment loads (cuda/kernels/mma_fragments.h), checked on the CPU before
// any GPU runs them: each register the kernel loads holds, byte for byte, the elements the PTX ISA
// says that lane's register holds, and an emulated warp-wide mma.sync built from the PTX maps then
// multiplies the kernel's tiles correctly.
#include <gtest/gtest.h>

#include <cstdint>
#include <random>
#include <set>
#include <utility>

#include "cuda/kernels/mma_fragments.h"
#include "cuda/kernels/mma_tiles.h"

namespace nt::cuda::mma {
namespace {

constexpr int kLanes = 32;

// Every (row, col) of a rows x cols matrix is held by exactly one (lane, element): the map is a
// bijection, as the PTX figures draw it.
template <class Row, class Col>
void expect_bijection(Row row, Col col, int elements, int rows, int cols) {
  std::set<std::pair<int, int>> seen;
  for (int lane = 0; lane < kLanes; ++lane) {
    for (int i = 0; i < elements; ++i) {
      const int r = row(lane, i), c = col(lane, i);
      ASSERT_GE(r, 0);
      ASSERT_LT(r, rows);
      ASSERT_GE(c, 0);
      ASSERT_LT(c, cols);
      EXPECT_TRUE(seen.insert({r, c}).second) << "lane " << lane << " element " << i;
    }
  }
  EXPECT_EQ(seen.size(), static_cast<size_t>(rows * cols));
}

TEST(MmaFragments, PtxMapsCoverEachMatrixOnce) {
  expect_bijection(ptx_k32_a_row, ptx_k32_a_col, 16, 16, 32);
  expect_bijection(ptx_k32_b_row, ptx_k32_b_col, 8, 32, 8);
  expect_bijection(ptx_k16_a_row, ptx_k16_a_col, 8, 16, 16);
  expect_bijection(ptx_k16_b_row, ptx_k16_b_col, 4, 16, 8);
  expect_bijection(ptx_c_row, ptx_c_col, 4, 16, 8);
  expect_bijection(ptx_f16_a_row, ptx_f16_a_col, 8, 16, 16);
  expect_bijection(ptx_f16_b_row, ptx_f16_b_col, 4, 16, 8);
}

// The f16 / bf16 tiles hold 16-bit values, two per word: half h of word w of a row is column
// 2w + h. Register r of the kernel's loads must be elements 2r and 2r + 1 of the PTX fragment.
TEST(MmaFragments, KernelLoadsMatchThePtxLayoutForF16) {
  for (int lane = 0; lane < kLanes; ++lane) {
    for (int reg = 0; reg < 4; ++reg) {
      for (int h = 0; h < 2; ++h) {
        const int i = 2 * reg + h;
        EXPECT_EQ(kernel_a_row(lane, reg), ptx_f16_a_row(lane, i)) << lane << " " << i;
        EXPECT_EQ(2 * kernel_k32_a_word(lane, reg) + h, ptx_f16_a_col(lane, i)) << lane << " " << i;
      }
    }
    for (int reg = 0; reg < 2; ++reg) {
      for (int h = 0; h < 2; ++h) {
        const int i = 2 * reg + h;
        EXPECT_EQ(kernel_b_token(lane), ptx_f16_b_col(lane, i));
        EXPECT_EQ(2 * kernel_k32_b_word(lane, reg) + h, ptx_f16_b_row(lane, i)) << lane << " " << i;
      }
    }
  }
}

// An emulated f16 m16n8k16 (integers standing in for the 16-bit values: only the placement is
// checked) on the kernel's loads of 16-value tiles gives the tile product.
TEST(MmaFragments, EmulatedF16ProductOfTheKernelsLoadsIsTheTileProduct) {
  std::mt19937 rng(1616);
  std::uniform_int_distribution<int> value(-1000, 1000);
  for (int trial = 0; trial < 20; ++trial) {
    int32_t a[16][16], b[8][16];  // weight rows x k, tokens x k
    for (auto& row : a)
      for (int32_t& v : row) v = value(rng);
    for (auto& row : b)
      for (int32_t& v : row) v = value(rng);
    // Registers as pairs of values: word w of a row holds columns 2w, 2w + 1.
    int32_t A[16][16], B[16][8];
    for (int lane = 0; lane < kLanes; ++lane) {
      for (int reg = 0; reg < 4; ++reg) {
        for (int h = 0; h < 2; ++h) {
          const int i = 2 * reg + h;
          A[ptx_f16_a_row(lane, i)][ptx_f16_a_col(lane, i)] =
              a[kernel_a_row(lane, reg)][2 * kernel_k32_a_word(lane, reg) + h];
        }
      }
      for (int reg = 0; reg < 2; ++reg) {
        for (int h = 0; h < 2; ++h) {
          const int i = 2 * reg + h;
          B[ptx_f16_b_row(lane, i)][ptx_f16_b_col(lane, i)] = b[kernel_b_token(lane)][2 * kernel_k32_b_word(lane, reg) + h];
        }
      }
    }
    for (int lane = 0; lane < kLanes; ++lane) {
      for (int i = 0; i < 4; ++i) {
        int64_t d = 0, expected = 0;
        for (int k = 0; k < 16; ++k) {
          d += int64_t{A[ptx_c_row(lane, i)][k]} * B[k][ptx_c_col(lane, i)];
          expected += int64_t{a[kernel_c_row(lane, i)][k]} * b[kernel_c_token(lane, i)][k];
        }
        ASSERT_EQ(d, expected) << "lane " << lane << " accumulator " << i;
      }
    }
  }
}

// The kernel reads 32-bit words of tile rows of 32 int8 (8 words): byte b of word w of row r is
// column 4w + b. Register r of the kernel's load must be elements 4r .. 4r + 3 of the PTX fragment.
TEST(MmaFragments, KernelLoadsMatchThePtxLayoutForK32) {
  for (int lane = 0; lane < kLanes; ++lane) {
    for (int reg = 0; reg < 4; ++reg) {
      for (int b = 0; b < 4; ++b) {
        const int i = 4 * reg + b;
        EXPECT_EQ(kernel_a_row(lane, reg), ptx_k32_a_row(lane, i)) << lane << " " << i;
        EXPECT_EQ(4 * kernel_k32_a_word(lane, reg) + b, ptx_k32_a_col(lane, i)) << lane << " " << i;
      }
    }
    for (int reg = 0; reg < 2; ++reg) {
      for (int b = 0; b < 4; ++b) {
        const int i = 4 * reg + b;
        EXPECT_EQ(kernel_b_token(lane), ptx_k32_b_col(lane, i));
        EXPECT_EQ(4 * kernel_k32_b_word(lane, reg) + b, ptx_k32_b_row(lane, i)) << lane << " " << i;
      }
    }
    for (int i = 0; i < 4; ++i) {
      EXPECT_EQ(kernel_c_row(lane, i), ptx_c_row(lane, i));
      EXPECT_EQ(kernel_c_token(lane, i), ptx_c_col(lane, i));
    }
  }
}

// Half h of a 32-value slice is the k16 MMA's whole reduction: columns 16h .. 16h + 15 of the tile.
TEST(MmaFragments, KernelLoadsMatchThePtxLayoutForK16Halves) {
  for (int lane = 0; lane < kLanes; ++lane) {
    for (int h = 0; h < 2; ++h) {
      for (int reg = 0; reg < 2; ++reg) {
        for (int b = 0; b < 4; ++b) {
          const int i = 4 * reg + b;
          EXPECT_EQ(kernel_a_row(lane, reg), ptx_k16_a_row(lane, i));
          EXPECT_EQ(4 * kernel_k16_word(lane, h) + b - 16 * h, ptx_k16_a_col(lane, i)) << lane << " " << i;
        }
      }
      for (int b = 0; b < 4; ++b) {
        EXPECT_EQ(kernel_b_token(lane), ptx_k16_b_col(lane, b));
        EXPECT_EQ(4 * kernel_k16_word(lane, h) + b - 16 * h, ptx_k16_b_row(lane, b));
      }
    }
  }
}

// ldmatrix .x4 as the PTX ISA describes it: register m of lane l is word l % 4 of the row that
// lane 8 m + l / 4 points at. The kernel's addresses (ldmatrix_a_*, ldmatrix_b_*) must give every
// lane the words its scalar loads give (kernel_* above), for A and for B of two 8-token tiles.
TEST(MmaFragments, LdmatrixGivesTheKernelsRegisters) {
  for (int lane = 0; lane < kLanes; ++lane) {
    for (int m = 0; m < 4; ++m) {
      const int source = 8 * m + lane / 4;
      EXPECT_EQ(ldmatrix_a_row(source), kernel_a_row(lane, m)) << "A lane " << lane << " register " << m;
      EXPECT_EQ(ldmatrix_a_word(source) + lane % 4, kernel_k32_a_word(lane, m)) << "A lane " << lane << " reg " << m;
      EXPECT_EQ(ldmatrix_a_word(source) + lane % 4, kernel_k16_word(lane, m >> 1)) << "A k16 lane " << lane;
      EXPECT_EQ(ldmatrix_b_token(source), kernel_b_token(lane) + 8 * (m >> 1)) << "B lane " << lane << " reg " << m;
      EXPECT_EQ(ldmatrix_b_word(source) + lane % 4, kernel_k32_b_word(lane, m & 1)) << "B lane " << lane;
      EXPECT_EQ(ldmatrix_b_word(source) + lane % 4, kernel_k16_word(lane, m & 1)) << "B k16 lane " << lane;
    }
  }
}

// Each 8-lane phase of an ldmatrix reads 8 rows of 4 words: with every tile's row stride they fall
// in 32 different banks.
template <class T>
void expect_ldmatrix_banks(const char* tile) {
  for (int phase = 0; phase < 4; ++phase) {
    std::set<int> a, b;
    for (int lane = 8 * phase; lane < 8 * phase + 8; ++lane) {
      for (int w = 0; w < 4; ++w) {
        a.insert((ldmatrix_a_row(lane) * T::kWords + ldmatrix_a_word(lane) + w) % 32);
        b.insert((ldmatrix_b_token(lane) * T::kWords + ldmatrix_b_word(lane) + w) % 32);
      }
    }
    EXPECT_EQ(a.size(), 32u) << tile << " A phase " << phase;
    EXPECT_EQ(b.size(), 32u) << tile << " B phase " << phase;
  }
}

TEST(MmaFragments, LdmatrixPhasesHitDistinctBanks) {
  expect_ldmatrix_banks<LargeTile>("128 x 128");
  expect_ldmatrix_banks<LargePipeTile>("128 x 128 pipelined");
  expect_ldmatrix_banks<WideTile>("128 x 64");
  expect_ldmatrix_banks<PrefillTile>("64 x 64");
  expect_ldmatrix_banks<Batch16Tile>("32 x 16");
  expect_ldmatrix_banks<Batch32Tile>("32 x 32");
}

struct Tiles {
  int8_t a[16][32];  // weight rows x reduction values, as the kernel stores them
  int8_t b[8][32];   // tokens x reduction values
};

Tiles random_tiles(std::mt19937& rng) {
  std::uniform_int_distribution<int> value(-128, 127);
  Tiles t;
  for (auto& row : t.a)
    for (int8_t& v : row) v = static_cast<int8_t>(value(rng));
  for (auto& row : t.b)
    for (int8_t& v : row) v = static_cast<int8_t>(value(rng));
  return t;
}

uint32_t word_of(const int8_t* row, int word) {
  uint32_t w = 0;
  for (int b = 0; b < 4; ++b) w |= uint32_t{static_cast<uint8_t>(row[4 * word + b])} << (8 * b);
  return w;
}

int8_t byte_of(uint32_t w, int b) { return static_cast<int8_t>((w >> (8 * b)) & 0xFF); }

// What the hardware does with the 32 lanes' registers, written from the PTX maps only: gather A
// and B by element, multiply, scatter D by element.
void emulate_k32(const uint32_t a[kLanes][4], const uint32_t b[kLanes][2], int32_t d[kLanes][4]) {
  int32_t A[16][32], B[32][8];
  for (int lane = 0; lane < kLanes; ++lane) {
    for (int i = 0; i < 16; ++i) A[ptx_k32_a_row(lane, i)][ptx_k32_a_col(lane, i)] = byte_of(a[lane][i / 4], i % 4);
    for (int i = 0; i < 8; ++i) B[ptx_k32_b_row(lane, i)][ptx_k32_b_col(lane, i)] = byte_of(b[lane][i / 4], i % 4);
  }
  for (int lane = 0; lane < kLanes; ++lane) {
    for (int i = 0; i < 4; ++i) {
      int32_t s = 0;
      for (int k = 0; k < 32; ++k) s += A[ptx_c_row(lane, i)][k] * B[k][ptx_c_col(lane, i)];
      d[lane][i] = s;
    }
  }
}

void emulate_k16(const uint32_t a[kLanes][2], const uint32_t b[kLanes], int32_t d[kLanes][4]) {
  int32_t A[16][16], B[16][8];
  for (int lane = 0; lane < kLanes; ++lane) {
    for (int i = 0; i < 8; ++i) A[ptx_k16_a_row(lane, i)][ptx_k16_a_col(lane, i)] = byte_of(a[lane][i / 4], i % 4);
    for (int i = 0; i < 4; ++i) B[ptx_k16_b_row(lane, i)][ptx_k16_b_col(lane, i)] = byte_of(b[lane], i);
  }
  for (int lane = 0; lane < kLanes; ++lane) {
    for (int i = 0; i < 4; ++i) {
      int32_t s = 0;
      for (int k = 0; k < 16; ++k) s += A[ptx_c_row(lane, i)][k] * B[k][ptx_c_col(lane, i)];
      d[lane][i] = s;
    }
  }
}

int32_t direct_dot(const Tiles& t, int row, int token, int k_begin, int k_end) {
  int32_t s = 0;
  for (int k = k_begin; k < k_end; ++k) s += int32_t{t.a[row][k]} * t.b[token][k];
  return s;
}

TEST(MmaFragments, EmulatedK32ProductOfTheKernelsLoadsIsTheTileProduct) {
  std::mt19937 rng(14);
  for (int trial = 0; trial < 20; ++trial) {
    const Tiles t = random_tiles(rng);
    uint32_t a[kLanes][4], b[kLanes][2];
    for (int lane = 0; lane < kLanes; ++lane) {
      for (int r = 0; r < 4; ++r) a[lane][r] = word_of(t.a[kernel_a_row(lane, r)], kernel_k32_a_word(lane, r));
      for (int r = 0; r < 2; ++r) b[lane][r] = word_of(t.b[kernel_b_token(lane)], kernel_k32_b_word(lane, r));
    }
    int32_t d[kLanes][4];
    emulate_k32(a, b, d);
    for (int lane = 0; lane < kLanes; ++lane) {
      for (int i = 0; i < 4; ++i) {
        ASSERT_EQ(d[lane][i], direct_dot(t, kernel_c_row(lane, i), kernel_c_token(lane, i), 0, 32));
      }
    }
  }
}

// The kernel's k16 use: registers a[2h], a[2h + 1] (rows kernel_a_row(lane, 0 / 1)) and one B word,
// all at word kernel_k16_word(lane, h): the product over values 16h .. 16h + 15 only.
TEST(MmaFragments, EmulatedK16ProductsOfTheKernelsLoadsAreTheHalfTileProducts) {
  std::mt19937 rng(16);
  for (int trial = 0; trial < 20; ++trial) {
    const Tiles t = random_tiles(rng);
    for (int h = 0; h < 2; ++h) {
      uint32_t a[kLanes][2], b[kLanes];
      for (int lane = 0; lane < kLanes; ++lane) {
        for (int r = 0; r < 2; ++r) a[lane][r] = word_of(t.a[kernel_a_row(lane, r)], kernel_k16_word(lane, h));
        b[lane] = word_of(t.b[kernel_b_token(lane)], kernel_k16_word(lane, h));
      }
      int32_t d[kLanes][4];
      emulate_k16(a, b, d);
      for (int lane = 0; lane < kLanes; ++lane) {
        for (int i = 0; i < 4; ++i) {
          ASSERT_EQ(d[lane][i], direct_dot(t, kernel_c_row(lane, i), kernel_c_token(lane, i), 16 * h, 16 * h + 16));
        }
      }
    }
  }
}

// Every tile's shared-memory row stride (mma_tiles.h) keeps a fragment load conflict-free: the 32
// lanes' words (rows g, word t of the stride), for the A loads of both MMA shapes and the B loads,
// fall in 32 different banks.
template <class T>
void expect_distinct_banks(const char* tile) {
  for (int reg = 0; reg < 4; ++reg) {
    std::set<int> k32, k16;
    for (int lane = 0; lane < kLanes; ++lane) {
      k32.insert((kernel_a_row(lane, reg) * T::kWords + kernel_k32_a_word(lane, reg)) % 32);
      k16.insert((kernel_a_row(lane, reg & 1) * T::kWords + kernel_k16_word(lane, reg >> 1)) % 32);
    }
    EXPECT_EQ(k32.size(), 32u) << tile << " k32 register " << reg;
    EXPECT_EQ(k16.size(), 32u) << tile << " k16 register " << reg;
  }
  for (int reg = 0; reg < 2; ++reg) {
    std::set<int> banks;
    for (int lane = 0; lane < kLanes; ++lane) {
      banks.insert((kernel_b_token(lane) * T::kWords + kernel_k32_b_word(lane, reg)) % 32);
    }
    EXPECT_EQ(banks.size(), 32u) << tile << " B register " << reg;
  }
}

TEST(MmaFragments, FragmentLoadsHitDistinctBanks) {
  expect_distinct_banks<LargeTile>("128 x 128");
  expect_distinct_banks<LargePipeTile>("128 x 128 pipelined");
  expect_distinct_banks<WideTile>("128 x 64");
  expect_distinct_banks<PrefillTile>("64 x 64");
  expect_distinct_banks<Batch16Tile>("32 x 16");
  expect_distinct_banks<Batch32Tile>("32 x 32");
}

// The shared memory a tile's kernel declares (mma_gemm.cuh asserts that a stage is
// kMmaTileSharedBytes; it holds kBuffers) fits the 48 KiB a kernel may have statically for every
// kind of weight scale, except the 128 x 128 tiles with 16-value scales and offsets (Q2_K), which
// choose_mma_tile never gives them; 16-byte stores of a row's 32-value slices stay aligned; the warps cover the tile.
template <class T>
void expect_fits(const char* tile, bool large) {
  EXPECT_LE(T::kBuffers * (kMmaTileSharedBytes<T, 32, false>), kMmaStaticSharedBytes) << tile;
  EXPECT_LE(T::kBuffers * (kMmaTileSharedBytes<T, 32, true>), kMmaStaticSharedBytes) << tile;
  EXPECT_LE(T::kBuffers * (kMmaTileSharedBytes<T, 16, false>), kMmaStaticSharedBytes) << tile;
  if (!large) EXPECT_LE(T::kBuffers * (kMmaTileSharedBytes<T, 16, true>), kMmaStaticSharedBytes) << tile;
  EXPECT_EQ(T::kWords * 4 % 16, 0) << tile;
  EXPECT_EQ(T::kWarpsM * T::kMi * 16, T::kRows) << tile;
  EXPECT_EQ(T::kWarpsN * T::kNi * 8, T::kTokens) << tile;
}

TEST(MmaFragments, TilesFitStaticSharedMemoryWithAlignedRows) {
  expect_fits<LargeTile>("128 x 128", true);
  expect_fits<LargePipeTile>("128 x 128 pipelined", true);
  expect_fits<WideTile>("128 x 64", false);
  expect_fits<PrefillTile>("64 x 64", false);
  expect_fits<Batch16Tile>("32 x 16", false);
  expect_fits<Batch32Tile>("32 x 32", false);
  EXPECT_GT((kMmaTileSharedBytes<LargeTile, 16, true>), kMmaStaticSharedBytes);
  EXPECT_GT(2 * (kMmaTileSharedBytes<LargePipeTile, 16, true>), kMmaStaticSharedBytes);
}

// The packed factors are the sizes the shared-memory count assumes: one float per value, a 32-bit,
// 64-bit or 128-bit load each (Q2_K's three token floats: three loads).
TEST(MmaFragments, StepFactorsPackTheirFloats) {
  EXPECT_EQ(sizeof(RowFactors<32, false>), 4u);
  EXPECT_EQ(sizeof(RowFactors<32, true>), 8u);
  EXPECT_EQ(sizeof(RowFactors<16, false>), 8u);
  EXPECT_EQ(sizeof(RowFactors<16, true>), 16u);
  EXPECT_EQ(alignof(RowFactors<16, true>), 16u);
  EXPECT_EQ(sizeof(TokenFactors<32, false>), 4u);
  EXPECT_EQ(sizeof(TokenFactors<32, true>), 8u);
  EXPECT_EQ(alignof(TokenFactors<32, true>), 8u);
  EXPECT_EQ(sizeof(TokenFactors<16, false>), 4u);
  EXPECT_EQ(sizeof(TokenFactors<16, true>), 12u);
}

}  // namespace
}  // namespace nt::cuda::mma
