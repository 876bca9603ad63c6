// The paged KV cache's bookkeeping: blocks are taken all or none, each sequence's positions land
// in blocks no other sequence holds, and every block returns to the pool when its cache goes.
#include <gtest/gtest.h>

#include <memory>
#include <set>
#include <vector>

#include "backend/kv_cache.h"
#include "backend/kv_pool.h"

namespace nt {

namespace {

constexpr int32_t kLayers = 2, kEmbdKv = 3;

// An F32 pool over host vectors.
std::shared_ptr<KvPool> host_pool(int32_t n_blocks, std::vector<float>& k, std::vector<float>& v) {
  k.assign(KvPool::side_bytes(GgmlType::F32, kLayers, kEmbdKv, n_blocks) / sizeof(float), 0.0f);
  v.assign(k.size(), 0.0f);
  return std::make_shared<KvPool>(GgmlType::F32, kLayers, kEmbdKv, n_blocks, reinterpret_cast<uint8_t*>(k.data()),
                                  reinterpret_cast<uint8_t*>(v.data()), nullptr);
}

float* f32(uint8_t* row) { return reinterpret_cast<float*>(row); }

TEST(KvPool, HandsOutBlocksAllOrNone) {
  std::vector<float> k, v;
  auto pool = host_pool(5, k, v);
  std::vector<int32_t> a, b;
  EXPECT_TRUE(pool->allocate(3, a));
  EXPECT_EQ(pool->free_blocks(), 2);
  EXPECT_FALSE(pool->allocate(3, b));  // two left: nothing taken
  EXPECT_TRUE(b.empty());
  EXPECT_EQ(pool->free_blocks(), 2);
  EXPECT_TRUE(pool->allocate(2, b));
  const std::set<int32_t> all = {a[0], a[1], a[2], b[0], b[1]};
  EXPECT_EQ(all, (std::set<int32_t>{0, 1, 2, 3, 4}));
  pool->release(a);
  EXPECT_TRUE(a.empty());
  EXPECT_EQ(pool->free_blocks(), 3);
}

TEST(KvCache, GrowsByBlocksWithinItsContextAndGivesThemBack) {
  std::vector<float> k, v;
  auto pool = host_pool(6, k, v);
  {
    KvCache cache(pool, 40);
    EXPECT_EQ(cache.capacity(), 0);
    EXPECT_TRUE(cache.reserve(1));
    EXPECT_EQ(cache.capacity(), KvPool::kBlockPositions);
    EXPECT_TRUE(cache.reserve(KvPool::kBlockPositions));  // still one block
    EXPECT_EQ(pool->free_blocks(), 5);
    EXPECT_TRUE(cache.reserve(40));
    EXPECT_EQ(pool->free_blocks(), 3);
    EXPECT_FALSE(cache.reserve(41));  // past its context
    EXPECT_EQ(pool->free_blocks(), 3);
  }
  EXPECT_EQ(pool->free_blocks(), 6);
}

TEST(KvCache, SequencesWriteDisjointRowsOfThePool) {
  std::vector<float> k, v;
  auto pool = host_pool(4, k, v);
  KvCache a(pool, 64), b(pool, 64);
  // Interleaved growth, as two sequences decoding in the same passes.
  for (int32_t pos = 0; pos < 2 * KvPool::kBlockPositions; ++pos) {
    ASSERT_TRUE(a.reserve(pos + 1));
    ASSERT_TRUE(b.reserve(pos + 1));
    for (int32_t layer = 0; layer < kLayers; ++layer) {
      for (int32_t i = 0; i < kEmbdKv; ++i) {
        f32(a.k(layer, pos))[i] = static_cast<float>(1000 + layer * 100 + pos);
        f32(b.k(layer, pos))[i] = static_cast<float>(-(1000 + layer * 100 + pos));
        f32(a.v(layer, pos))[i] = 0.5f;
      }
    }
  }
  EXPECT_FALSE(a.reserve(2 * KvPool::kBlockPositions + 1));  // the four blocks are taken
  for (int32_t pos = 0; pos < 2 * KvPool::kBlockPositions; ++pos) {
    for (int32_t layer = 0; layer < kLayers; ++layer) {
      ASSERT_EQ(f32(a.k(layer, pos))[kEmbdKv - 1], static_cast<float>(1000 + layer * 100 + pos));
      ASSERT_EQ(f32(b.k(layer, pos))[0], static_cast<float>(-(1000 + layer * 100 + pos)));
      ASSERT_EQ(f32(a.v(layer, pos))[1], 0.5f);
    }
  }
  for (float f : k) ASSERT_NE(f, 0.0f) << "every row of the pool was written once";
}

}  // namespace
}  // namespace nt
