#include "backend/kv_type.h"

#include "core/engine_error.h"

namespace nt {

GgmlType parse_kv_type(const std::string& name) {
  if (name == "f32") return GgmlType::F32;
  if (name == "f16") return GgmlType::F16;
  if (name == "q8_0") return GgmlType::Q8_0;
  throw EngineError(NT_E_BAD_REQUEST, "the KV cache type must be f32, f16 or q8_0, not '" + name + "'");
}

const char* kv_type_name(GgmlType type) {
  switch (type) {
    case GgmlType::F32: return "f32";
    case GgmlType::F16: return "f16";
    case GgmlType::Q8_0: return "q8_0";
    default: return "unsupported";
  }
}

void check_kv_type(GgmlType type, int32_t head_dim) {
  if (type == GgmlType::Q8_0 && head_dim % 32 != 0) {
    throw EngineError(NT_E_UNSUPPORTED, "a q8_0 KV cache stores each head in blocks of 32 values, and this model's "
                                        "heads have " + std::to_string(head_dim) + "; use f16 or f32");
  }
  if (type != GgmlType::F32 && type != GgmlType::F16 && type != GgmlType::Q8_0) {
    throw EngineError(NT_E_UNSUPPORTED,
                      "the KV cache cannot be stored as " + ggml_type_name(static_cast<uint32_t>(type)));
  }
}

}  // namespace nt
