#pragma once

#include <cstdint>
#include <string_view>

namespace nt {

// True when text is well-formed UTF-8 (no overlongs, no surrogates, nothing above U+10FFFF).
bool is_valid_utf8(std::string_view text);

}  // namespace nt
