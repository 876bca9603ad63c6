// The KV cache's storage types, as llama.cpp's --cache-type-k/-v name them: "f32", "f16" (the
// default, as llama.cpp's) and "q8_0" (blocks of 32 along each head, so head_dim must be a
// multiple of 32).
#pragma once

#include <cstdint>
#include <string>

#include "gguf/ggml_type.h"

namespace nt {

// Throws EngineError NT_E_BAD_REQUEST naming the accepted names.
GgmlType parse_kv_type(const std::string& name);

// "f32", "f16", "q8_0".
const char* kv_type_name(GgmlType type);

// Throws EngineError NT_E_UNSUPPORTED when heads of head_dim values cannot be stored in `type`.
void check_kv_type(GgmlType type, int32_t head_dim);

}  // namespace nt
