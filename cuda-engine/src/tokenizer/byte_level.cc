#include "tokenizer/byte_level.h"

#include <array>

#include "tokenizer/code_points.h"

namespace nt {

namespace {

bool stands_for_itself(int byte) {
  return (byte >= 0x21 && byte <= 0x7E) || (byte >= 0xA1 && byte <= 0xAC) || (byte >= 0xAE && byte <= 0xFF);
}

const std::array<uint32_t, 256>& byte_to_code_point_table() {
  static const std::array<uint32_t, 256> table = [] {
    std::array<uint32_t, 256> t{};
    uint32_t next_free = 0x100;
    for (int byte = 0; byte < 256; ++byte) {
      t[byte] = stands_for_itself(byte) ? static_cast<uint32_t>(byte) : next_free++;
    }
    return t;
  }();
  return table;
}

}  // namespace

uint32_t byte_level_code_point(uint8_t byte) { return byte_to_code_point_table()[byte]; }

int byte_of_byte_level_code_point(uint32_t code_point) {
  if (code_point < 0x100) return stands_for_itself(static_cast<int>(code_point)) ? static_cast<int>(code_point) : -1;
  // The 68 remapped bytes occupy U+0100 .. U+0143 in byte order.
  static const std::array<int16_t, 68> remapped = [] {
    std::array<int16_t, 68> r{};
    for (int byte = 0; byte < 256; ++byte) {
      const uint32_t cp = byte_to_code_point_table()[byte];
      if (cp >= 0x100) r[cp - 0x100] = static_cast<int16_t>(byte);
    }
    return r;
  }();
  return code_point - 0x100 < remapped.size() ? remapped[code_point - 0x100] : -1;
}

std::string to_byte_level(std::string_view bytes) {
  std::string out;
  out.reserve(bytes.size() * 2);
  for (char c : bytes) append_utf8(out, byte_level_code_point(static_cast<uint8_t>(c)));
  return out;
}

}  // namespace nt
