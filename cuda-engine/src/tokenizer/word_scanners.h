// The hand-written scanners that stand in for the GPT-2, Llama 3 and Qwen2 split regexes.
#pragma once

#include "tokenizer/word_splitting.h"

namespace nt {

// 's|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+
void scan_gpt2_words(const uint32_t* text, size_t n, Segments& words);

// (?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n]*|
// \s*[\r\n]+|\s+(?!\S)|\s+
void scan_llama3_words(const uint32_t* text, size_t n, Segments& words);

// Qwen2's regex: Llama 3's with \p{N} in place of \p{N}{1,3}, so digits split one by one.
void scan_qwen2_words(const uint32_t* text, size_t n, Segments& words);

}  // namespace nt
