// Tokenizers built from GGUF metadata: SentencePiece ("llama") and byte-level BPE ("gpt2", with
// the pre-tokenizers default/gpt-2, llama-bpe, qwen2, deepseek-llm, deepseek-coder), token-exact
// with llama.cpp.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "gguf/gguf_file.h"
#include "tokenizer/tokenizer_input.h"

namespace nt {

using TokenId = int32_t;

class Tokenizer {
 public:
  virtual ~Tokenizer() = default;

  // Builds the tokenizer the metadata names. Throws EngineError NT_E_UNSUPPORTED naming the
  // tokenizer model or pre-tokenizer it does not know, NT_E_BAD_GGUF for inconsistent metadata.
  static std::unique_ptr<Tokenizer> from_gguf(const GgufFile& file);

  // add_special: add BOS/EOS as the metadata says (tokenizer.ggml.add_bos_token / add_eos_token,
  // with llama.cpp's defaults per model). parse_special: recognise special/control token texts
  // ("<|eot_id|>") in the input; otherwise they are tokenized as plain text.
  std::vector<TokenId> encode(std::string_view text, bool add_special, bool parse_special) const {
    return encode_input(TokenizerInput(text, parse_special), add_special);
  }

  // encode with parse_special decided per part of the input (a chat prompt: its template's
  // markers parsed, its messages not).
  virtual std::vector<TokenId> encode_input(const TokenizerInput& input, bool add_special) const = 0;

  // The bytes one token stands for, as llama.cpp's llama_token_to_piece renders them (SPM "▁" as
  // a space, byte tokens as their byte). Control tokens render as their text only when
  // render_special; otherwise as nothing. May be an incomplete UTF-8 sequence.
  virtual std::string token_to_piece(TokenId id, bool render_special) const = 0;

  virtual int32_t n_vocab() const = 0;
  virtual TokenId bos() const = 0;  // -1 when none
  virtual TokenId eos() const = 0;  // -1 when none
  // End of generation: EOS, EOT and the other end tokens the vocabulary marks.
  virtual bool is_end_of_generation(TokenId id) const = 0;
};

// Joins pieces into text that is always complete UTF-8: bytes of an unfinished sequence wait for
// the next piece, so a streamed character is never split across two chunks.
class Utf8Stream {
 public:
  // Returns the complete UTF-8 prefix of everything pushed so far that was not yet returned.
  std::string push(std::string_view piece);
  // Whatever is left at the end; invalid bytes become U+FFFD.
  std::string flush();

 private:
  std::string pending_;
};

}  // namespace nt
