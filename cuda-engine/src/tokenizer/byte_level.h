// GPT-2's byte-level alphabet: byte-level BPE vocabularies spell every byte as one printable code
// point, so that merges never see raw control bytes or spaces. Bytes that are already printable
// Latin-1 (! .. ~, ¡ .. ¬, ® .. ÿ) stand for themselves; the other 68 bytes, in increasing
// order, take U+0100, U+0101, ... (GPT-2's bytes_to_unicode, which llama.cpp repeats).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace nt {

uint32_t byte_level_code_point(uint8_t byte);

// The byte a code point of the alphabet stands for, or -1 when it stands for none.
int byte_of_byte_level_code_point(uint32_t code_point);

// Every byte of `bytes` as its code point, UTF-8 encoded.
std::string to_byte_level(std::string_view bytes);

}  // namespace nt
