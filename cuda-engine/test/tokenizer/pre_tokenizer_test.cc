// Word boundaries of each pre-tokenizer on characteristic text. The expected words were checked
// against the regexes themselves (ECMAScript semantics, as llama.cpp's std::regex runs them).
#include <gtest/gtest.h>

#include "core/engine_error.h"
#include "tokenizer/code_points.h"
#include "tokenizer/pre_tokenizer.h"

namespace nt {

namespace {

using Words = std::vector<std::string>;

Words words(PreTokenizer kind, const std::string& text) {
  const std::vector<uint32_t> cps = decode_code_points(text);
  Words out;
  size_t start = 0;
  for (size_t length : split_words(kind, cps)) {
    std::string word;
    for (size_t i = start; i < start + length; ++i) append_utf8(word, cps[i]);
    out.push_back(word);
    start += length;
  }
  return out;
}

}  // namespace

TEST(TokenizerPreTokenizer, Gpt2KeepsOneLeadingSpaceWithEachWord) {
  EXPECT_EQ(words(PreTokenizer::kGpt2, "Hello world's 123  x\n"),
            (Words{"Hello", " world", "'s", " 123", " ", " x", "\n"}));
  // Contractions are case-sensitive: "'S" is punctuation followed by a letter.
  EXPECT_EQ(words(PreTokenizer::kGpt2, "IT'S ok!?"), (Words{"IT", "'", "S", " ok", "!?"}));
}

TEST(TokenizerPreTokenizer, Llama3SplitsDigitsInGroupsOfThree) {
  EXPECT_EQ(words(PreTokenizer::kLlama3, "1234567"), (Words{"123", "456", "7"}));
  EXPECT_EQ(words(PreTokenizer::kLlama3, "x 12345"), (Words{"x", " ", "123", "45"}));
}

TEST(TokenizerPreTokenizer, Llama3ContractionsIgnoreCase) {
  EXPECT_EQ(words(PreTokenizer::kLlama3, "I'M here, it'S HE'LL"),
            (Words{"I", "'M", " here", ",", " it", "'S", " HE", "'LL"}));
}

TEST(TokenizerPreTokenizer, Llama3AttachesOneNonLetterBeforeAWord) {
  EXPECT_EQ(words(PreTokenizer::kLlama3, "(hello) \tworld"), (Words{"(hello", ")", " ", "\tworld"}));
}

TEST(TokenizerPreTokenizer, Llama3KeepsLineBreaksWithTheWhitespaceBeforeThem) {
  EXPECT_EQ(words(PreTokenizer::kLlama3, "a \n\n  b!!\n\nc  "), (Words{"a", " \n\n", " ", " b", "!!\n\n", "c", "  "}));
}

TEST(TokenizerPreTokenizer, Llama3TreatsCjkAsLetters) {
  // The full-width comma is no letter, so it leads the next word as a space would.
  EXPECT_EQ(words(PreTokenizer::kLlama3, "你好，世界 ok"), (Words{"你好", "，世界", " ok"}));
}

TEST(TokenizerPreTokenizer, Qwen2SplitsDigitsOneByOne) {
  EXPECT_EQ(words(PreTokenizer::kQwen2, "x 2024!"), (Words{"x", " ", "2", "0", "2", "4", "!"}));
  EXPECT_EQ(words(PreTokenizer::kQwen2, "you'RE\r\nok"), (Words{"you", "'RE", "\r\n", "ok"}));
}

TEST(TokenizerPreTokenizer, DeepseekCoderSplitsLettersPunctuationCjkAndSingleDigits) {
  EXPECT_EQ(words(PreTokenizer::kDeepseekCoder, "Hello, 世界 123\nx"),
            (Words{"Hello", ",", " ", "世界", " ", "1", "2", "3", "\n", "x"}));
}

TEST(TokenizerPreTokenizer, DeepseekLlmSplitsLatinSymbolsCjkAndNumberRuns) {
  EXPECT_EQ(words(PreTokenizer::kDeepseekLlm, "Hello, 世界 12345 ok  \n"),
            (Words{"Hello", ",", " ", "世界", " ", "12345", " ok", "  ", "\n"}));
}

TEST(TokenizerPreTokenizer, DefaultSplitsPunctuationAndNumbersFirst) {
  EXPECT_EQ(words(PreTokenizer::kDefault, "a+b=1234567 x"), (Words{"a", "+", "b", "=", "123", "456", "7", " x"}));
}

TEST(TokenizerPreTokenizer, UnknownNamesAreRefusedByName) {
  try {
    pre_tokenizer_config("tekken");
    FAIL() << "tekken is not implemented";
  } catch (const EngineError& e) {
    EXPECT_EQ(e.code(), "NT_E_UNSUPPORTED");
    EXPECT_NE(std::string(e.what()).find("tekken"), std::string::npos);
  }
  EXPECT_EQ(pre_tokenizer_config("").kind, PreTokenizer::kDefault);
  EXPECT_TRUE(pre_tokenizer_config("llama-bpe").ignore_merges);
  EXPECT_TRUE(pre_tokenizer_config("llama-bpe").add_bos);
  EXPECT_FALSE(pre_tokenizer_config("qwen2").add_bos);
}

}  // namespace nt
