// ggml tensor types as GGUF numbers them, with their block layouts. The ids are part of the
// file format (ggml.h, enum ggml_type); ids 4 and 5 were removed upstream and are never valid.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

namespace nt {

enum class GgmlType : uint32_t {
  F32 = 0, F16 = 1, Q4_0 = 2, Q4_1 = 3, Q5_0 = 6, Q5_1 = 7, Q8_0 = 8, Q8_1 = 9,
  Q2_K = 10, Q3_K = 11, Q4_K = 12, Q5_K = 13, Q6_K = 14, Q8_K = 15,
  IQ2_XXS = 16, IQ2_XS = 17, IQ3_XXS = 18, IQ1_S = 19, IQ4_NL = 20, IQ3_S = 21, IQ2_S = 22,
  IQ4_XS = 23, I8 = 24, I16 = 25, I32 = 26, I64 = 27, F64 = 28, IQ1_M = 29, BF16 = 30,
  TQ1_0 = 34, TQ2_0 = 35, MXFP4 = 39,
};

// Elements per block and bytes per block of a type this engine computes with.
struct GgmlBlockLayout {
  uint32_t block_elements;
  uint32_t block_bytes;
};

// "Q4_K" for a known id (supported or not), "type 4" style text for an unknown one.
std::string ggml_type_name(uint32_t type_id);

// The block layout of a type the engine supports; nullopt for every other id, known or not.
std::optional<GgmlBlockLayout> ggml_block_layout(uint32_t type_id);

}  // namespace nt
