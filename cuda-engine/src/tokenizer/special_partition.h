// Splits input text around special token texts before tokenization, as llama.cpp's
// tokenizer_st_partition: user-defined tokens always, control and unknown tokens only where the
// input parses special texts (TokenizerInput). Tokens are tried longest text first; each one
// splits every remaining text piece at all its (non-overlapping, leftmost-first) occurrences.
#pragma once

#include <vector>

#include "tokenizer/tokenizer_input.h"
#include "tokenizer/vocabulary.h"

namespace nt {

struct Fragment {
  TokenId token = -1;  // a special token, or -1 for text
  size_t offset = 0;   // text: where it starts in the input
  size_t length = 0;   // text: bytes, never 0

  bool is_text() const { return token < 0; }
};

std::vector<Fragment> partition_special_tokens(const TokenizerInput& input, const Vocabulary& vocab);

}  // namespace nt
