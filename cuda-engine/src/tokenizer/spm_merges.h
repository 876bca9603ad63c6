// SentencePiece BPE on one piece of text, as llama.cpp's llm_tokenizer_spm: start from UTF-8
// characters, repeatedly merge the adjacent pair whose concatenation is the highest-scoring
// token, then emit each symbol as its token, or as the pairs it was merged from, or as byte
// tokens (<0xXX>) when neither is in the vocabulary.
#pragma once

#include <string>
#include <vector>

#include "tokenizer/vocabulary.h"

namespace nt {

// text has its spaces already written as "▁". Throws EngineError NT_E_UNSUPPORTED when a byte
// has no token and the vocabulary has no unknown token to stand in for it.
void append_spm_tokens(const std::string& text, const Vocabulary& vocab, std::vector<TokenId>& out);

}  // namespace nt
