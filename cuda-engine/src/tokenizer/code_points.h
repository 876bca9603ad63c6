// UTF-8 as llama.cpp's tokenizers read it. Decoding is lenient, like unicode_cpts_from_utf8:
// overlong forms and surrogates decode to their value, and a byte that starts no complete
// sequence becomes U+FFFD (one per byte). Byte-level BPE re-encodes the decoded code points, so
// invalid input reaches the merges as U+FFFD, exactly as in llama.cpp.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace nt {

constexpr uint32_t kReplacementCharacter = 0xFFFD;

// Bytes of the sequence a lead byte announces, from its high nibble alone (llama.cpp's
// unicode_len_utf8): 1 for ASCII and stray continuation bytes, else 2, 3 or 4.
size_t utf8_sequence_length(uint8_t lead);

std::vector<uint32_t> decode_code_points(std::string_view text);

// Appends the UTF-8 encoding of a code point up to U+10FFFF (surrogates included, as llama.cpp
// writes them).
void append_utf8(std::string& out, uint32_t code_point);

}  // namespace nt
