#pragma once

#include <cstdint>

#include "tensor/tensor_view.h"

namespace nt {

// The bytes a product over `v` reads: every row once. 0 for an absent tensor (a bias a model lacks).
inline uint64_t view_bytes(const TensorView& v) {
  return v.data ? static_cast<uint64_t>(v.row_bytes()) * static_cast<uint64_t>(v.rows()) : 0;
}

}  // namespace nt
