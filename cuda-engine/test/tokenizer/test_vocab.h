// Helpers for tokenizer tests: small vocabularies built in memory as a GgufFile (so a test states
// every token it relies on), and the real vocabularies in $NT_TEST_DATA.
#pragma once

#include <cstdint>
#include <cstdlib>
#include <string>
#include <vector>

#include "gguf/gguf_file.h"
#include "test_data.h"

namespace nt::test {

// Reads $NT_TEST_DATA/<relative_path>.
GgufFile read_test_gguf(const std::string& relative_path);

class VocabBuilder {
 public:
  // tokenizer.ggml.model and, unless empty, tokenizer.ggml.pre.
  VocabBuilder(const std::string& model, const std::string& pre = "");

  // Appends a token; its id is the number of tokens before it. Types as tokenizer.ggml.token_type.
  VocabBuilder& token(const std::string& text, int32_t type = 1, float score = 0.0f);
  VocabBuilder& merge(const std::string& left_space_right);
  VocabBuilder& u32(const std::string& key, uint32_t value);
  VocabBuilder& boolean(const std::string& key, bool value);
  VocabBuilder& string(const std::string& key, const std::string& value);

  GgufFile build() const;

 private:
  GgufFile file_;
  std::vector<std::string> texts_;
  std::vector<float> scores_;
  std::vector<int32_t> types_;
  std::vector<std::string> merges_;
};

// Every byte's byte-level spelling as a token, in byte order (ids 0..255), for BPE test vocabularies.
VocabBuilder& add_byte_level_alphabet(VocabBuilder& vocab);

}  // namespace nt::test
