// Typed reads of tokenizer.ggml.* metadata. A key holding the wrong type is an EngineError
// NT_E_BAD_GGUF that names the key; an absent key is simply absent.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "gguf/gguf_file.h"

namespace nt {

std::optional<std::string> metadata_string(const GgufFile& file, const char* key);
std::optional<bool> metadata_bool(const GgufFile& file, const char* key);
// Any integer type; unsigned values above INT64_MAX read as INT64_MAX.
std::optional<int64_t> metadata_integer(const GgufFile& file, const char* key);
// The array, or nullptr when absent. Its items must have item_type.
const GgufArray* metadata_array(const GgufFile& file, const char* key, GgufType item_type);

}  // namespace nt
