// The keys and values of every sequence a model serves, in one pool of fixed-size blocks (paged,
// as vLLM's PagedAttention): a block holds kBlockPositions positions of every layer, and a
// sequence (KvCache) takes blocks as it grows and gives them back when it ends, so N sequences of
// different lengths share the memory of their actual positions instead of reserving N full
// contexts. A row (one position's keys, or values, of one layer: n_embd_kv values) is stored in
// the pool's type as llama.cpp stores its cache types: F32, F16 (rounded to nearest even), or
// Q8_0 (blocks of 32 along the row, so along each head when head_dim is a multiple of 32). The
// bytes live in the compute backend's memory — host memory for the CPU, VRAM for CUDA, where
// k()/v() are device addresses that only kernels may dereference.
//
// Layout: block b, layer l, row i (position b's i-th) starts at byte
//   base + ((b * n_layer + l) * kBlockPositions + i) * row_bytes
// so one head's rows inside a block are kBlockPositions rows of stride row_bytes.
#pragma once

#include <cstdint>
#include <functional>
#include <mutex>
#include <vector>

#include "gguf/ggml_type.h"

namespace nt {

class KvPool {
 public:
  static constexpr int32_t kBlockPositions = 16;

  // k and v each hold side_bytes(type, n_layer, n_embd_kv, n_blocks); `release` frees them.
  // `layers`: the model's layers the pool holds, in order (n_layer of them: the dual path's host
  // part holds the CPU's layers only); empty: layers 0..n_layer-1.
  KvPool(GgmlType type, int32_t n_layer, int32_t n_embd_kv, int32_t n_blocks, uint8_t* k, uint8_t* v,
         std::function<void()> release, const std::vector<int32_t>& layers = {});
  ~KvPool();
  KvPool(const KvPool&) = delete;
  KvPool& operator=(const KvPool&) = delete;

  // Bytes of one row of n_embd_kv values in `type` (F32, F16 or Q8_0; n_embd_kv a multiple of 32 for Q8_0).
  static uint64_t row_bytes(GgmlType type, int32_t n_embd_kv);
  // Bytes of one of k or v for n_blocks blocks.
  static uint64_t side_bytes(GgmlType type, int32_t n_layer, int32_t n_embd_kv, int64_t n_blocks) {
    return static_cast<uint64_t>(n_blocks) * n_layer * kBlockPositions * row_bytes(type, n_embd_kv);
  }
  // Blocks that hold n positions.
  static int64_t blocks_for(int64_t positions) { return (positions + kBlockPositions - 1) / kBlockPositions; }

  GgmlType type() const { return type_; }
  int32_t n_layer() const { return n_layer_; }
  int32_t n_embd_kv() const { return n_embd_kv_; }
  int32_t n_blocks() const { return n_blocks_; }
  uint64_t bytes() const { return 2 * side_bytes(type_, n_layer_, n_embd_kv_, n_blocks_); }
  int32_t free_blocks() const;

  // n more blocks appended to `blocks`, all or none: false (and `blocks` unchanged) when fewer are free.
  bool allocate(int32_t n, std::vector<int32_t>& blocks);
  // Gives the blocks back; `blocks` is left empty.
  void release(std::vector<int32_t>& blocks);

  // Row `row` of layer `layer` in block `block`.
  uint8_t* k(int32_t block, int32_t layer, int32_t row) const { return k_ + offset(block, layer, row); }
  uint8_t* v(int32_t block, int32_t layer, int32_t row) const { return v_ + offset(block, layer, row); }
  uint8_t* k_base() const { return k_; }
  uint8_t* v_base() const { return v_; }
  int64_t row_stride() const { return row_bytes_; }  // bytes between consecutive rows of a block
  int64_t layer_stride() const { return int64_t{kBlockPositions} * row_bytes_; }  // between layers of a block
  int64_t block_stride() const { return layer_stride() * n_layer_; }             // between blocks

 private:
  int64_t offset(int32_t block, int32_t layer, int32_t row) const {
    const int32_t slot = slot_of_layer_.empty() ? layer : slot_of_layer_[static_cast<size_t>(layer)];
    return block * block_stride() + slot * layer_stride() + row * row_stride();
  }
  GgmlType type_;
  std::vector<int32_t> slot_of_layer_;  // by model layer; empty: the identity
  int32_t n_layer_;
  int32_t n_embd_kv_;
  int32_t n_blocks_;
  int64_t row_bytes_;
  uint8_t* k_;
  uint8_t* v_;
  std::function<void()> release_;
  mutable std::mutex mutex_;  // the generation loop and one-off evaluations take blocks from any thread
  std::vector<int32_t> free_;  // a stack: the most recently freed block is reused first
};

}  // namespace nt
