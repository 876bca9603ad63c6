// A weight tensor as the compute code sees it: bytes in GGUF's block layout plus the shape.
// Rows are contiguous: row r of a 2-D tensor starts at data + r * row_bytes().
#pragma once

#include <cstddef>
#include <cstdint>

#include "gguf/ggml_type.h"

namespace nt {

struct TensorView {
  const uint8_t* data = nullptr;
  uint32_t type = 0;                 // a GgmlType id the engine supports
  int64_t ne[4] = {1, 1, 1, 1};      // ne[0] = elements per row (the reduction dimension)

  int64_t rows() const { return ne[1] * ne[2] * ne[3]; }
  size_t row_bytes() const {
    const auto layout = *ggml_block_layout(type);
    return static_cast<size_t>(ne[0] / layout.block_elements) * layout.block_bytes;
  }
  const uint8_t* row(int64_t r) const { return data + static_cast<size_t>(r) * row_bytes(); }
};

}  // namespace nt
