// What SentencePiece and byte-level BPE tokenizers share once the vocabulary is loaded: special
// ids, the end-of-generation set, and llama.cpp's rendering of tokens as text.
#pragma once

#include <string>

#include "tokenizer/tokenizer.h"
#include "tokenizer/vocabulary.h"

namespace nt {

class VocabularyTokenizer : public Tokenizer {
 public:
  int32_t n_vocab() const override { return vocab_.size(); }
  TokenId bos() const override { return vocab_.bos; }
  TokenId eos() const override { return vocab_.eos; }
  bool is_end_of_generation(TokenId id) const override;

  // llama.cpp's token_to_piece with lstrip 0: unknown and control tokens as their text only when
  // render_special; user-defined tokens as their text always; byte tokens (<0xXX>) as their byte;
  // normal tokens as the model spells them (normal_piece); unused and undefined ones as nothing.
  // Throws EngineError NT_E_BAD_REQUEST for an id outside the vocabulary.
  std::string token_to_piece(TokenId id, bool render_special) const override;

 protected:
  explicit VocabularyTokenizer(Vocabulary vocab) : vocab_(std::move(vocab)) {}

  // The bytes a normal token's text stands for.
  virtual std::string normal_piece(const std::string& text) const = 0;

  Vocabulary vocab_;
};

}  // namespace nt
