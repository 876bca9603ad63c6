#include "gguf/ggml_type.h"

namespace nt {

namespace {

struct TypeEntry {
  uint32_t id;
  const char* name;
  GgmlBlockLayout layout;  // block_elements == 0: known to ggml, not supported here
};

// Block sizes from ggml-common.h: QK4_0 = QK8_0 = 32; QK_K = 256. Bytes per block are the
// sizes of the block structs there (e.g. block_q4_K: d, dmin (2 × f16) + scales[12] + qs[128]).
constexpr TypeEntry kTypes[] = {
    {0, "F32", {1, 4}},        {1, "F16", {1, 2}},        {2, "Q4_0", {32, 18}},
    {3, "Q4_1", {32, 20}},     {6, "Q5_0", {32, 22}},     {7, "Q5_1", {32, 24}},
    {8, "Q8_0", {32, 34}},     {9, "Q8_1", {0, 0}},       {10, "Q2_K", {256, 84}},
    {11, "Q3_K", {256, 110}},  {12, "Q4_K", {256, 144}},  {13, "Q5_K", {256, 176}},
    {14, "Q6_K", {256, 210}},  {15, "Q8_K", {0, 0}},      {16, "IQ2_XXS", {0, 0}},
    {17, "IQ2_XS", {0, 0}},    {18, "IQ3_XXS", {0, 0}},   {19, "IQ1_S", {0, 0}},
    {20, "IQ4_NL", {0, 0}},    {21, "IQ3_S", {0, 0}},     {22, "IQ2_S", {0, 0}},
    {23, "IQ4_XS", {0, 0}},    {24, "I8", {0, 0}},        {25, "I16", {0, 0}},
    {26, "I32", {0, 0}},       {27, "I64", {0, 0}},       {28, "F64", {0, 0}},
    {29, "IQ1_M", {0, 0}},     {30, "BF16", {1, 2}},      {34, "TQ1_0", {0, 0}},
    {35, "TQ2_0", {0, 0}},     {39, "MXFP4", {0, 0}},
};

const TypeEntry* find_type(uint32_t id) {
  for (const auto& entry : kTypes) {
    if (entry.id == id) return &entry;
  }
  return nullptr;
}

}  // namespace

std::string ggml_type_name(uint32_t type_id) {
  const TypeEntry* entry = find_type(type_id);
  return entry ? entry->name : "unknown type " + std::to_string(type_id);
}

std::optional<GgmlBlockLayout> ggml_block_layout(uint32_t type_id) {
  const TypeEntry* entry = find_type(type_id);
  if (!entry || entry->layout.block_elements == 0) return std::nullopt;
  return entry->layout;
}

}  // namespace nt
