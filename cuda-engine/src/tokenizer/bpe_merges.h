// Byte-level BPE inside one word, as llama.cpp's llm_tokenizer_bpe_session: start from UTF-8
// characters and repeatedly merge the adjacent pair with the lowest merge rank (leftmost on a
// tie) until no adjacent pair is a merge.
#pragma once

#include <string>
#include <unordered_map>
#include <vector>

#include "gguf/gguf_value.h"

namespace nt {

// tokenizer.ggml.merges: entry i, "left right", has rank i. The first space after the first byte
// separates the two sides; byte-level symbols never contain a space themselves.
class BpeRanks {
 public:
  explicit BpeRanks(const std::vector<std::string>& merges);
  // -1 when left+right is not a merge.
  int rank(const std::string& left, const std::string& right) const;

 private:
  std::unordered_map<std::string, int> rank_by_pair_;  // "left right"
};

// The symbols the word ends as, in order; their concatenation is the word.
std::vector<std::string> merge_word(const std::string& word, const BpeRanks& ranks);

}  // namespace nt
