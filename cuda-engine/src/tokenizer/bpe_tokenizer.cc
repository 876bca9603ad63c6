#include "tokenizer/bpe_tokenizer.h"

#include <cstdio>

#include "core/engine_error.h"
#include "tokenizer/bpe_merges.h"
#include "tokenizer/byte_level.h"
#include "tokenizer/code_points.h"
#include "tokenizer/metadata.h"
#include "tokenizer/pre_tokenizer.h"
#include "tokenizer/special_partition.h"
#include "tokenizer/vocabulary_tokenizer.h"

namespace nt {

namespace {

// How llama.cpp's llama_decode_text shows a code point outside the byte-level alphabet.
std::string unknown_byte_marker(uint32_t code_point, const std::string& token_text) {
  std::string utf8;
  append_utf8(utf8, code_point);
  std::string marker = "[UNK_BYTE_0x";
  char hex[3];
  for (char c : utf8) {
    std::snprintf(hex, sizeof hex, "%02x", static_cast<uint8_t>(c));
    marker += hex;
  }
  return marker + token_text + "]";
}

class BpeTokenizer final : public VocabularyTokenizer {
 public:
  BpeTokenizer(Vocabulary vocab, PreTokenizerConfig pre, BpeRanks ranks)
      : VocabularyTokenizer(std::move(vocab)), pre_(pre), ranks_(std::move(ranks)) {}

  std::vector<TokenId> encode_input(const TokenizerInput& input, bool add_special) const override {
    const std::string_view text = input.text();
    std::vector<TokenId> out;
    if (add_special && vocab_.add_bos) out.push_back(vocab_.bos);
    for (const Fragment& fragment : partition_special_tokens(input, vocab_)) {
      if (fragment.is_text()) {
        append_text_tokens(text.substr(fragment.offset, fragment.length), out);
      } else {
        out.push_back(fragment.token);
      }
    }
    if (add_special && vocab_.add_eos) out.push_back(vocab_.eos);
    return out;
  }

 protected:
  std::string normal_piece(const std::string& text) const override {
    std::string bytes;
    for (uint32_t cp : decode_code_points(text)) {
      const int byte = byte_of_byte_level_code_point(cp);
      bytes += byte >= 0 ? std::string(1, static_cast<char>(byte)) : unknown_byte_marker(cp, text);
    }
    return bytes;
  }

 private:
  // Pre-tokenize into words, spell each word in the byte-level alphabet, merge, look up.
  void append_text_tokens(std::string_view text, std::vector<TokenId>& out) const {
    const std::vector<uint32_t> code_points = decode_code_points(text);
    size_t start = 0;
    for (size_t length : split_words(pre_.kind, code_points)) {
      std::string utf8;
      for (size_t i = start; i < start + length; ++i) append_utf8(utf8, code_points[i]);
      start += length;
      append_word_tokens(to_byte_level(utf8), out);
    }
  }

  void append_word_tokens(const std::string& word, std::vector<TokenId>& out) const {
    const bool whole = pre_.ignore_merges && vocab_.find(word) >= 0;
    for (const std::string& symbol : whole ? std::vector<std::string>{word} : merge_word(word, ranks_)) {
      const TokenId id = vocab_.find(symbol);
      if (id >= 0) {
        out.push_back(id);
        continue;
      }
      // A symbol missing from the vocabulary: llama.cpp looks up its single bytes and drops
      // those that are not tokens either.
      for (char byte : symbol) {
        const TokenId byte_id = vocab_.find(std::string(1, byte));
        if (byte_id >= 0) out.push_back(byte_id);
      }
    }
  }

  PreTokenizerConfig pre_;
  BpeRanks ranks_;
};

// llama.cpp's BPE defaults: BOS and EOS both id 11 unless the metadata says otherwise (it always
// does in practice), no unknown token, BOS added only where the pre-tokenizer's family does.
VocabularyDefaults bpe_defaults(const PreTokenizerConfig& pre) {
  VocabularyDefaults d;
  d.bos = 11;
  d.eos = 11;
  d.unk = -1;
  d.add_bos = pre.add_bos;
  d.add_eos = false;
  d.add_space_prefix = false;
  return d;
}

}  // namespace

std::unique_ptr<Tokenizer> make_bpe_tokenizer(const GgufFile& file) {
  const PreTokenizerConfig pre = pre_tokenizer_config(metadata_string(file, "tokenizer.ggml.pre").value_or(""));
  const GgufArray* merges = metadata_array(file, "tokenizer.ggml.merges", GgufType::STRING);
  if (!merges) throw bad_gguf("byte-level BPE vocabulary without tokenizer.ggml.merges");
  BpeRanks ranks(merges->strings);
  return std::make_unique<BpeTokenizer>(read_vocabulary(file, bpe_defaults(pre)), pre, std::move(ranks));
}

}  // namespace nt
