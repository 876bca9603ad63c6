#pragma once

#include <cstdint>

#include "backend/rope_table.h"

namespace nt::ops {

// Rotates n_heads heads of head_dim floats in place with a table made for their position
// (rope_table, backend/rope_table.h).
void rope(float* heads, int32_t n_heads, const RopeTable& table, const RopeParams& p);

}  // namespace nt::ops
