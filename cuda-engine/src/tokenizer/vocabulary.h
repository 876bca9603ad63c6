// A tokenizer vocabulary as llama.cpp's llama_vocab loads it from GGUF metadata: token texts,
// scores and attributes, the special token ids, and what encode adds (BOS/EOS, the SentencePiece
// space prefix).
#pragma once

#include <cstdint>
#include <string>
#include <unordered_map>
#include <vector>

#include "gguf/gguf_file.h"
#include "tokenizer/tokenizer.h"

namespace nt {

// Token attributes as llama.cpp's llama_token_attr bits; tokenizer.ggml.token_type gives one
// (1 normal, 2 unknown, 3 control, 4 user-defined, 5 unused, 6 byte; others undefined) and the
// loader adds kControl to tokens whose text marks them as end-of-turn, FIM and the like.
enum TokenAttr : uint32_t {
  kAttrUndefined = 0,
  kAttrUnknown = 1u << 0,
  kAttrUnused = 1u << 1,
  kAttrNormal = 1u << 2,
  kAttrControl = 1u << 3,
  kAttrUserDefined = 1u << 4,
  kAttrByte = 1u << 5,
};

struct VocabToken {
  std::string text;
  float score = 0.0f;
  uint32_t attrs = kAttrNormal;
};

struct Vocabulary {
  std::vector<VocabToken> tokens;
  std::unordered_map<std::string, TokenId> ids;  // text -> id

  // -1 where there is none.
  TokenId bos = -1, eos = -1, eot = -1, eom = -1, unk = -1;
  TokenId fim_pre = -1, fim_suf = -1, fim_mid = -1, fim_pad = -1, fim_rep = -1, fim_sep = -1;

  bool add_bos = false;
  bool add_eos = false;
  bool add_space_prefix = false;  // SentencePiece: a space before the text (and after specials)

  std::vector<TokenId> end_of_generation;  // sorted
  // Control, user-defined and unknown tokens, longest text first: the order in which
  // tokenizer_st_partition looks for them in the input.
  std::vector<TokenId> specials_longest_first;

  int32_t size() const { return static_cast<int32_t>(tokens.size()); }
  bool contains(TokenId id) const { return id >= 0 && id < size(); }
  TokenId find(const std::string& text) const {
    const auto it = ids.find(text);
    return it == ids.end() ? -1 : it->second;
  }
  bool has(TokenId id, uint32_t attr) const { return (tokens[id].attrs & attr) != 0; }
};

// What llama.cpp assumes per tokenizer model when the metadata says nothing.
struct VocabularyDefaults {
  TokenId bos = -1, eos = -1, unk = -1;
  bool add_bos = false, add_eos = false, add_space_prefix = false;
};

// Reads tokenizer.ggml.tokens / scores / token_type and the special token keys. Throws
// EngineError NT_E_BAD_GGUF for missing tokens, arrays of the wrong type or length, duplicate
// token texts, or add_bos/add_eos without the token to add.
Vocabulary read_vocabulary(const GgufFile& file, const VocabularyDefaults& defaults);

// The text-driven part of llama.cpp's loader: finds EOT/EOM/FIM tokens the metadata does not
// name by their text, marks such tokens as control, collects the end-of-generation set and orders
// the special tokens for matching. read_vocabulary calls it last.
void classify_special_tokens(Vocabulary& vocab);

}  // namespace nt
