#include "tokenizer/metadata.h"

#include <limits>

#include "core/engine_error.h"

namespace nt {

namespace {

[[noreturn]] void throw_wrong_type(const char* key, const std::string& expected, GgufType actual) {
  throw bad_gguf(std::string(key) + " should be " + expected + " but is " + gguf_type_name(actual));
}

}  // namespace

std::optional<std::string> metadata_string(const GgufFile& file, const char* key) {
  const GgufValue* value = file.find(key);
  if (!value) return std::nullopt;
  if (!value->is_string()) throw_wrong_type(key, "a string", value->type);
  return value->as_string();
}

std::optional<bool> metadata_bool(const GgufFile& file, const char* key) {
  const GgufValue* value = file.find(key);
  if (!value) return std::nullopt;
  if (value->type != GgufType::BOOL) throw_wrong_type(key, "a bool", value->type);
  return value->as_u64() != 0;
}

std::optional<int64_t> metadata_integer(const GgufFile& file, const char* key) {
  const GgufValue* value = file.find(key);
  if (!value) return std::nullopt;
  if (!value->is_integer()) throw_wrong_type(key, "an integer", value->type);
  if (std::holds_alternative<int64_t>(value->data)) return value->as_i64();
  const uint64_t u = value->as_u64();
  const auto max = static_cast<uint64_t>(std::numeric_limits<int64_t>::max());
  return static_cast<int64_t>(u > max ? max : u);
}

const GgufArray* metadata_array(const GgufFile& file, const char* key, GgufType item_type) {
  const GgufValue* value = file.find(key);
  if (!value) return nullptr;
  if (!value->is_array()) throw_wrong_type(key, std::string("an array of ") + gguf_type_name(item_type), value->type);
  const GgufArray& array = value->as_array();
  if (array.item_type != item_type) {
    throw bad_gguf(std::string(key) + " should be an array of " + gguf_type_name(item_type) + " but holds " +
                   gguf_type_name(array.item_type));
  }
  return &array;
}

}  // namespace nt
