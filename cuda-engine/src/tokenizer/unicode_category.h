// What the pre-tokenizer regexes ask of a code point: its general category group (\p{L}, \p{N},
// \p{P}, ...) and whether it is whitespace (\s). Backed by the generated tables.
#pragma once

#include <cstdint>

#include "tokenizer/unicode_tables.h"

namespace nt {

// Code points above U+10FFFF have no category; they read as kOther.
UnicodeCategory unicode_category(uint32_t code_point);

// The White_Space property: what llama.cpp's tables, and so its \s, count as whitespace.
bool is_unicode_whitespace(uint32_t code_point);

inline bool is_letter(uint32_t cp) { return unicode_category(cp) == UnicodeCategory::kLetter; }
inline bool is_number(uint32_t cp) { return unicode_category(cp) == UnicodeCategory::kNumber; }
inline bool is_punctuation(uint32_t cp) { return unicode_category(cp) == UnicodeCategory::kPunctuation; }

}  // namespace nt
