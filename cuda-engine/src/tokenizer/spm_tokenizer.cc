#include "tokenizer/spm_tokenizer.h"

#include "tokenizer/special_partition.h"
#include "tokenizer/spm_merges.h"
#include "tokenizer/vocabulary_tokenizer.h"

namespace nt {

namespace {

const std::string kSpaceSymbol = "\xE2\x96\x81";  // U+2581 "▁", SentencePiece's space

std::string replace_all(std::string_view text, std::string_view from, std::string_view to) {
  std::string out;
  size_t start = 0;
  for (size_t at = text.find(from); at != std::string_view::npos; at = text.find(from, start)) {
    out.append(text.substr(start, at - start)).append(to);
    start = at + from.size();
  }
  out.append(text.substr(start));
  return out;
}

class SpmTokenizer final : public VocabularyTokenizer {
 public:
  explicit SpmTokenizer(Vocabulary vocab) : VocabularyTokenizer(std::move(vocab)) {}

  // As llama.cpp: BOS first when asked; each text fragment gets the space prefix when it opens
  // the input or follows a special token; EOS last when asked.
  std::vector<TokenId> encode_input(const TokenizerInput& input, bool add_special) const override {
    const std::string_view text = input.text();
    std::vector<TokenId> out;
    if (add_special && vocab_.add_bos) out.push_back(vocab_.bos);
    bool after_special = true;
    for (const Fragment& fragment : partition_special_tokens(input, vocab_)) {
      if (!fragment.is_text()) {
        out.push_back(fragment.token);
        after_special = true;
        continue;
      }
      std::string piece = vocab_.add_space_prefix && after_special ? " " : "";
      piece.append(text.substr(fragment.offset, fragment.length));
      append_spm_tokens(replace_all(piece, " ", kSpaceSymbol), vocab_, out);
      after_special = false;
    }
    if (add_special && vocab_.add_eos) out.push_back(vocab_.eos);
    return out;
  }

 protected:
  std::string normal_piece(const std::string& text) const override { return replace_all(text, kSpaceSymbol, " "); }
};

// llama.cpp's SPM defaults: <s> = 1, </s> = 2, <unk> = 0; BOS added; a space prefix.
VocabularyDefaults spm_defaults() {
  VocabularyDefaults d;
  d.bos = 1;
  d.eos = 2;
  d.unk = 0;
  d.add_bos = true;
  d.add_eos = false;
  d.add_space_prefix = true;
  return d;
}

}  // namespace

std::unique_ptr<Tokenizer> make_spm_tokenizer(const GgufFile& file) {
  return std::make_unique<SpmTokenizer>(read_vocabulary(file, spm_defaults()));
}

}  // namespace nt
