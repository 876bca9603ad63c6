#include "tokenizer/vocabulary_tokenizer.h"

#include <algorithm>

#include "core/engine_error.h"

namespace nt {

namespace {

bool is_hex_digit(char c) { return (c >= '0' && c <= '9') || (c >= 'A' && c <= 'F') || (c >= 'a' && c <= 'f'); }

int hex_value(char c) { return c <= '9' ? c - '0' : (c | 0x20) - 'a' + 10; }

// A byte token's text is <0xXX> (llama.cpp reads the two digits at offset 3).
std::string byte_token_piece(const std::string& text) {
  if (text.size() < 5 || !is_hex_digit(text[3]) || !is_hex_digit(text[4])) return "";
  return std::string(1, static_cast<char>(hex_value(text[3]) * 16 + hex_value(text[4])));
}

}  // namespace

bool VocabularyTokenizer::is_end_of_generation(TokenId id) const {
  return std::binary_search(vocab_.end_of_generation.begin(), vocab_.end_of_generation.end(), id);
}

std::string VocabularyTokenizer::token_to_piece(TokenId id, bool render_special) const {
  if (!vocab_.contains(id)) {
    throw EngineError(NT_E_BAD_REQUEST, "token id " + std::to_string(id) + " is outside the vocabulary of " +
                                            std::to_string(vocab_.size()) + " tokens");
  }
  const VocabToken& token = vocab_.tokens[id];
  if (!render_special && (token.attrs & (kAttrUnknown | kAttrControl))) return "";
  if (token.attrs & (kAttrUnknown | kAttrControl | kAttrUserDefined)) return token.text;
  if (token.attrs & kAttrNormal) return normal_piece(token.text);
  if (token.attrs & kAttrByte) return byte_token_piece(token.text);
  return "";
}

}  // namespace nt
