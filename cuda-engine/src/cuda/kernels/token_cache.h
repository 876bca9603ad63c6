// Where one token of a pass reads and writes its sequence's KV cache, uploaded once per pass so
// that kernels can find every token's cache without a launch per token. The caches are paged
// (backend/kv_pool.h): a token names its sequence's row of the pass's block tables, and KvLayout
// says where the pool and the tables are.
#pragma once

#include <cstdint>

#include "backend/kv_pool.h"

namespace nt::cuda {

constexpr int32_t kKvBlockPositions = KvPool::kBlockPositions;

struct TokenCache {
  int32_t table = 0;  // row of KvLayout::tables holding this token's sequence's blocks
  int32_t pos = 0;
};

// Position p of layer l, one row of keys (or values) in the pool's type, lives at byte
//   k + tables[table * table_width + p / kKvBlockPositions] * block_stride + l * layer_stride
//     + (p % kKvBlockPositions) * row_stride
// (v likewise), in the pool's element format.
enum class KvElement : int32_t {
  F32,
  F16,
  Q8_0,  // blocks of 32 values: an F16 scale, then 32 int8 (quant/blocks.h's BlockQ8_0, 34 bytes)
};

struct KvLayout {
  uint8_t* k = nullptr;
  uint8_t* v = nullptr;
  const int32_t* tables = nullptr;  // table rows of table_width block ids each
  int64_t block_stride = 0;         // bytes
  int64_t layer_stride = 0;
  int64_t row_stride = 0;
  int32_t table_width = 0;
  KvElement element = KvElement::F32;
};

#ifdef __CUDACC__
// Byte offset of position p's row of `layer`, through the token's block table.
__device__ inline int64_t kv_row_offset(const KvLayout& kv, const int32_t* table, int32_t layer, int32_t p) {
  return table[p / kKvBlockPositions] * kv.block_stride + layer * kv.layer_stride +
         int64_t{p % kKvBlockPositions} * kv.row_stride;
}
#endif

}  // namespace nt::cuda
