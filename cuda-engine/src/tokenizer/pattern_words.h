// The pre-tokenizers that llama.cpp runs through std::regex, pass by pass (llama-vocab.cpp's
// regex lists for "default", "deepseek-llm" and "deepseek-coder"), as finders over code points.
#pragma once

#include <vector>

#include "tokenizer/word_splitting.h"

namespace nt {

Segments split_default_words(const std::vector<uint32_t>& text);
Segments split_deepseek_llm_words(const std::vector<uint32_t>& text);
Segments split_deepseek_coder_words(const std::vector<uint32_t>& text);

}  // namespace nt
