// What a tokenizer encodes: text assembled from parts that differ only in whether special-token
// texts inside them are recognised (parse_special). A chat prompt's template markers
// ("<|start_header_id|>") are parsed; its message contents never are, so a message that spells a
// marker cannot forge a turn (llama-server tokenizes the whole prompt with parse_special and has
// that flaw). Everything else sees one text: pre-tokenization and the SentencePiece space prefix
// run across part boundaries, so the tokens equal those of the joined string with
// parse_special wherever no special text was refused.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace nt {

class TokenizerInput {
 public:
  TokenizerInput() = default;
  // One part: the whole text with one parse_special.
  TokenizerInput(std::string_view text, bool parse_special) { append(text, parse_special); }

  void append(std::string_view text, bool parse_special);

  const std::string& text() const { return text_; }
  // Whether some part recognises special-token texts.
  bool parses_special_anywhere() const { return !parsed_.empty(); }
  // Whether bytes [offset, offset + length) lie wholly inside parts that recognise special-token
  // texts: a special token's text counts only where none of it comes from an unparsed part.
  bool parses_special_in(size_t offset, size_t length) const;

 private:
  std::string text_;
  // Byte ranges [begin, end) of the parsed parts, sorted, adjacent parts merged.
  std::vector<std::pair<size_t, size_t>> parsed_;
};

}  // namespace nt
