// A GGUF metadata value. Numeric arrays keep their elements as the raw little-endian bytes of the
// file, so memory stays proportional to the file (a hostile array of a billion u8 costs a
// billion bytes, not a billion variants) and the tokenizer can view scores and token types
// in place.
#pragma once

#include <cstdint>
#include <cstring>
#include <string>
#include <variant>
#include <vector>

namespace nt {

// Value types as numbered by the GGUF spec (enum gguf_type).
enum class GgufType : uint32_t {
  U8 = 0, I8 = 1, U16 = 2, I16 = 3, U32 = 4, I32 = 5, F32 = 6, BOOL = 7,
  STRING = 8, ARRAY = 9, U64 = 10, I64 = 11, F64 = 12,
};

const char* gguf_type_name(GgufType type);  // "u32", "string", ...

// Bytes of one element of a fixed-size type; 0 for STRING and ARRAY.
uint32_t gguf_scalar_size(GgufType type);

struct GgufValue;

struct GgufArray {
  GgufType item_type = GgufType::U8;
  uint64_t count = 0;
  std::vector<uint8_t> raw;          // fixed-size elements, count × gguf_scalar_size(item_type)
  std::vector<std::string> strings;  // item_type == STRING
  std::vector<GgufValue> arrays;     // item_type == ARRAY (nested arrays)

  // Element i of a numeric array as the given C type; the caller has checked item_type.
  template <typename T>
  T at(uint64_t i) const {
    T value;
    std::memcpy(&value, raw.data() + i * sizeof(T), sizeof(T));
    return value;
  }
};

struct GgufValue {
  GgufType type = GgufType::U8;
  // Unsigned integers and bools as uint64_t, signed as int64_t, floats as double.
  std::variant<uint64_t, int64_t, double, std::string, GgufArray> data;

  bool is_integer() const;
  bool is_string() const { return type == GgufType::STRING; }
  bool is_array() const { return type == GgufType::ARRAY; }
  uint64_t as_u64() const { return std::get<uint64_t>(data); }
  int64_t as_i64() const { return std::get<int64_t>(data); }
  double as_f64() const { return std::get<double>(data); }
  const std::string& as_string() const { return std::get<std::string>(data); }
  const GgufArray& as_array() const { return std::get<GgufArray>(data); }
};

}  // namespace nt
