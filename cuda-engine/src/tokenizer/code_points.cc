#include "tokenizer/code_points.h"

namespace nt {

namespace {

bool is_continuation(uint8_t byte) { return (byte & 0xC0) == 0x80; }

// The code point of the sequence at text[i] and its length, or length 0 when the bytes there
// start no complete sequence. Lead bytes F5..F7 decode past U+10FFFF, which llama.cpp cannot
// re-encode (it throws); they count as invalid here.
uint32_t decode_one(std::string_view text, size_t i, size_t& length) {
  const auto at = [&](size_t k) { return static_cast<uint8_t>(text[i + k]); };
  const size_t left = text.size() - i;
  const uint8_t lead = at(0);
  length = 0;
  if (lead < 0x80) { length = 1; return lead; }
  if ((lead & 0x40) == 0) return 0;  // a continuation byte cannot start a sequence
  if ((lead & 0x20) == 0) {
    if (left < 2 || !is_continuation(at(1))) return 0;
    length = 2;
    return ((lead & 0x1Fu) << 6) | (at(1) & 0x3Fu);
  }
  if ((lead & 0x10) == 0) {
    if (left < 3 || !is_continuation(at(1)) || !is_continuation(at(2))) return 0;
    length = 3;
    return ((lead & 0x0Fu) << 12) | ((at(1) & 0x3Fu) << 6) | (at(2) & 0x3Fu);
  }
  if ((lead & 0x08) == 0) {
    if (left < 4 || !is_continuation(at(1)) || !is_continuation(at(2)) || !is_continuation(at(3))) return 0;
    const uint32_t cp = ((lead & 0x07u) << 18) | ((at(1) & 0x3Fu) << 12) | ((at(2) & 0x3Fu) << 6) | (at(3) & 0x3Fu);
    if (cp > 0x10FFFF) return 0;
    length = 4;
    return cp;
  }
  return 0;
}

}  // namespace

size_t utf8_sequence_length(uint8_t lead) {
  static const uint8_t kLengthByHighNibble[16] = {1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 2, 2, 3, 4};
  return kLengthByHighNibble[lead >> 4];
}

std::vector<uint32_t> decode_code_points(std::string_view text) {
  std::vector<uint32_t> code_points;
  code_points.reserve(text.size());
  size_t i = 0;
  while (i < text.size()) {
    size_t length = 0;
    const uint32_t cp = decode_one(text, i, length);
    if (length == 0) {
      code_points.push_back(kReplacementCharacter);
      i += 1;
    } else {
      code_points.push_back(cp);
      i += length;
    }
  }
  return code_points;
}

void append_utf8(std::string& out, uint32_t cp) {
  if (cp <= 0x7F) {
    out += static_cast<char>(cp);
  } else if (cp <= 0x7FF) {
    out += static_cast<char>(0xC0 | (cp >> 6));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  } else if (cp <= 0xFFFF) {
    out += static_cast<char>(0xE0 | (cp >> 12));
    out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  } else {
    out += static_cast<char>(0xF0 | (cp >> 18));
    out += static_cast<char>(0x80 | ((cp >> 12) & 0x3F));
    out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  }
}

}  // namespace nt
