// llama.cpp's tokenizer test vectors (models/ggml-vocab-*.gguf.inp/.out, in $NT_TEST_DATA/vocab):
// every string must tokenize to exactly the ids llama.cpp's test-tokenizer-0 expects, with
// special tokens neither added nor parsed.
#include <gtest/gtest.h>

#include <fstream>
#include <iterator>
#include <sstream>

#include "tokenizer/test_vocab.h"
#include "tokenizer/tokenizer.h"

namespace nt {

namespace {

struct Vector {
  std::string text;
  std::vector<TokenId> ids;
};

std::string read_text(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

// The .inp file is strings each followed by "\n__ggml_vocab_test__\n"; the .out file one line
// of space-separated ids per string.
std::vector<Vector> read_vectors(const std::string& gguf_path) {
  const std::string inp = read_text(gguf_path + ".inp");
  const std::string separator = "\n__ggml_vocab_test__\n";
  std::vector<Vector> vectors;
  for (size_t start = 0, end; (end = inp.find(separator, start)) != std::string::npos; start = end + separator.size()) {
    vectors.push_back({inp.substr(start, end - start), {}});
  }
  std::istringstream out(read_text(gguf_path + ".out"));
  std::string line;
  for (Vector& v : vectors) {
    if (!std::getline(out, line)) break;
    std::istringstream ids(line);
    for (TokenId id; ids >> id;) v.ids.push_back(id);
  }
  return vectors;
}

void expect_all_vectors_match(const std::string& name) {
  const std::string path = test::test_data_dir() + "/vocab/" + name;
  const auto tokenizer = Tokenizer::from_gguf(read_gguf_file(path));
  const std::vector<Vector> vectors = read_vectors(path);
  ASSERT_EQ(vectors.size(), 46u) << "the README promises 46 strings per vocabulary";
  size_t matching = 0;
  for (const Vector& v : vectors) {
    const std::vector<TokenId> ids = tokenizer->encode(v.text, /*add_special=*/false, /*parse_special=*/false);
    if (ids == v.ids) {
      ++matching;
    } else {
      ADD_FAILURE() << name << ": '" << v.text << "' gives " << testing::PrintToString(ids) << ", llama.cpp "
                    << testing::PrintToString(v.ids);
    }
  }
  EXPECT_EQ(matching, vectors.size());
}

// Pieces of the tokens reassemble the input: exactly for byte-level BPE, after the one space the
// SentencePiece prefix adds.
void expect_pieces_reassemble_every_vector(const std::string& name, const std::string& prefix) {
  const std::string path = test::test_data_dir() + "/vocab/" + name;
  const auto tokenizer = Tokenizer::from_gguf(read_gguf_file(path));
  for (const Vector& v : read_vectors(path)) {
    std::string text;
    for (TokenId id : tokenizer->encode(v.text, false, false)) text += tokenizer->token_to_piece(id, false);
    EXPECT_EQ(text, v.text.empty() ? "" : prefix + v.text);
  }
}

}  // namespace

TEST(TokenizerLlamaCppVectors, SentencePieceLlamaVocabularyMatchesEveryVector) {
  REQUIRE_TEST_DATA();
  expect_all_vectors_match("ggml-vocab-llama-spm.gguf");
}

TEST(TokenizerLlamaCppVectors, Gpt2VocabularyMatchesEveryVector) {
  REQUIRE_TEST_DATA();
  expect_all_vectors_match("ggml-vocab-gpt-2.gguf");
}

}  // namespace nt

namespace nt {

TEST(TokenizerLlamaCppVectors, PiecesReassembleEveryVectorString) {
  REQUIRE_TEST_DATA();
  expect_pieces_reassemble_every_vector("ggml-vocab-llama-spm.gguf", " ");
  expect_pieces_reassemble_every_vector("ggml-vocab-gpt-2.gguf", "");
}

}  // namespace nt
