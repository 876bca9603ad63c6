// The reader against the real files in $NT_TEST_DATA (../shared/testdata in CI): they parse, and
// every truncation and thousands of random mutations of their headers give a clean error.
#include <gtest/gtest.h>

#include <cstdlib>
#include <fstream>
#include <iterator>
#include <random>

#include "core/engine_error.h"
#include "gguf/gguf_file.h"
#include "test_data.h"

namespace nt {

using test::test_data_dir;

namespace {

std::vector<uint8_t> read_all(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::vector<uint8_t>(std::istreambuf_iterator<char>(in), {});
}

}  // namespace

TEST(GgufRealFiles, Stories260KHasTheExpectedShape) {
  REQUIRE_TEST_DATA();
  const GgufFile file = read_gguf_file(test_data_dir() + "/stories260K.gguf");
  EXPECT_EQ(file.version, 3u);
  EXPECT_EQ(file.tensors.size(), 48u);
  EXPECT_EQ(file.find("general.architecture")->as_string(), "llama");
  EXPECT_EQ(file.find("llama.block_count")->as_u64(), 5u);
  EXPECT_EQ(file.find("llama.embedding_length")->as_u64(), 64u);
  EXPECT_EQ(file.find("tokenizer.ggml.tokens")->as_array().strings.size(), 512u);
  uint64_t bytes = 0;
  for (const auto& t : file.tensors) bytes += t.bytes;
  EXPECT_LE(file.data_offset + bytes, file.file_bytes);
}

TEST(GgufRealFiles, VocabularyOnlyFilesParse) {
  REQUIRE_TEST_DATA();
  const GgufFile spm = read_gguf_file(test_data_dir() + "/vocab/ggml-vocab-llama-spm.gguf");
  EXPECT_TRUE(spm.tensors.empty());
  EXPECT_EQ(spm.find("tokenizer.ggml.tokens")->as_array().count, 32000u);
  const GgufFile gpt2 = read_gguf_file(test_data_dir() + "/vocab/ggml-vocab-gpt-2.gguf");
  EXPECT_EQ(gpt2.find("tokenizer.ggml.tokens")->as_array().count, 50257u);
  EXPECT_EQ(gpt2.find("tokenizer.ggml.merges")->as_array().count, 50000u);
}

TEST(GgufRealFiles, EveryTruncationOfTheHeaderIsACleanError) {
  REQUIRE_TEST_DATA();
  const std::vector<uint8_t> bytes = read_all(test_data_dir() + "/stories260K.gguf");
  const uint64_t header_end = parse_gguf(bytes.data(), bytes.size()).data_offset;
  for (uint64_t size = 0; size < header_end; ++size) {
    EXPECT_THROW(parse_gguf(bytes.data(), size), EngineError) << "cut at " << size;
  }
}

TEST(GgufRealFiles, RandomMutationsOfTheHeaderNeverEscapeAsAnythingButEngineError) {
  REQUIRE_TEST_DATA();
  std::vector<uint8_t> original = read_all(test_data_dir() + "/stories260K.gguf");
  const uint64_t header_end = parse_gguf(original.data(), original.size()).data_offset;
  std::mt19937_64 rng(1234);
  int refused = 0;
  for (int round = 0; round < 3000; ++round) {
    std::vector<uint8_t> mutated = original;
    const int flips = 1 + static_cast<int>(rng() % 8);
    for (int f = 0; f < flips; ++f) mutated[rng() % header_end] = static_cast<uint8_t>(rng());
    try {
      parse_gguf(mutated.data(), mutated.size());
    } catch (const EngineError&) {
      ++refused;
    }
  }
  EXPECT_GT(refused, 0);  // mutations of counts, types and lengths must be caught
}

}  // namespace nt
