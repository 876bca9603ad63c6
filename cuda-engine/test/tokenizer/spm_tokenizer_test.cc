// SentencePiece tokenizers on real vocabularies: stories260K (512 tokens) and Llama 2's.
#include <gtest/gtest.h>

#include "core/engine_error.h"
#include "tokenizer/test_vocab.h"
#include "tokenizer/tokenizer.h"

namespace nt {

namespace {

std::string detokenize(const Tokenizer& tokenizer, const std::vector<TokenId>& ids, bool render_special) {
  std::string text;
  for (TokenId id : ids) text += tokenizer.token_to_piece(id, render_special);
  return text;
}

std::unique_ptr<Tokenizer> llama_spm() {
  return Tokenizer::from_gguf(test::read_test_gguf("vocab/ggml-vocab-llama-spm.gguf"));
}

}  // namespace

TEST(TokenizerSpm, Stories260KTokenizesOnceUponATimeAndRoundTrips) {
  REQUIRE_TEST_DATA();
  const auto tokenizer = Tokenizer::from_gguf(test::read_test_gguf("stories260K.gguf"));
  EXPECT_EQ(tokenizer->n_vocab(), 512);
  EXPECT_EQ(tokenizer->bos(), 1);
  EXPECT_EQ(tokenizer->eos(), 2);

  // BOS, then one token per word: ▁Once ▁upon ▁a ▁time (the space prefix makes the first
  // word "▁Once" too). Ids as this implementation gives them; the algorithm itself is checked
  // token-exact against llama.cpp by the vocabulary vectors.
  const std::vector<TokenId> ids = tokenizer->encode("Once upon a time", /*add_special=*/true, false);
  EXPECT_EQ(ids, (std::vector<TokenId>{1, 403, 407, 261, 378}));
  EXPECT_EQ(tokenizer->token_to_piece(403, false), " Once");
  EXPECT_EQ(detokenize(*tokenizer, ids, false), " Once upon a time");
}

TEST(TokenizerSpm, RendersControlTokensOnlyWhenAskedAndBytesAsBytes) {
  REQUIRE_TEST_DATA();
  const auto tokenizer = llama_spm();
  EXPECT_EQ(tokenizer->token_to_piece(1, false), "");
  EXPECT_EQ(tokenizer->token_to_piece(1, true), "<s>");
  EXPECT_EQ(tokenizer->token_to_piece(0, true), "<unk>");
  EXPECT_EQ(tokenizer->token_to_piece(13, false), "\n");  // <0x0A>
  EXPECT_EQ(tokenizer->token_to_piece(15043, false), " Hello");
  EXPECT_TRUE(tokenizer->is_end_of_generation(2));
  EXPECT_FALSE(tokenizer->is_end_of_generation(1));
  try {
    tokenizer->token_to_piece(32000, false);
    FAIL() << "an id outside the vocabulary must throw";
  } catch (const EngineError& e) {
    EXPECT_EQ(e.code(), "NT_E_BAD_REQUEST");
  }
}

TEST(TokenizerSpm, ParsesSpecialTokenTextsOnlyWhenAsked) {
  REQUIRE_TEST_DATA();
  const auto tokenizer = llama_spm();
  // After a special token the text gets the space prefix again, so "Hello" is "▁Hello".
  EXPECT_EQ(tokenizer->encode("<s>Hello</s>", false, /*parse_special=*/true), (std::vector<TokenId>{1, 15043, 2}));
  const std::vector<TokenId> plain = tokenizer->encode("<s>Hello</s>", false, /*parse_special=*/false);
  EXPECT_EQ(std::count(plain.begin(), plain.end(), 1) + std::count(plain.begin(), plain.end(), 2), 0);
  EXPECT_EQ(detokenize(*tokenizer, plain, false), " <s>Hello</s>");
}

TEST(TokenizerSpm, AddsBosButNotEosByDefault) {
  REQUIRE_TEST_DATA();
  const auto tokenizer = llama_spm();
  EXPECT_EQ(tokenizer->encode("Hello", true, false), (std::vector<TokenId>{1, 15043}));
  EXPECT_EQ(tokenizer->encode("", true, false), (std::vector<TokenId>{1}));
  EXPECT_TRUE(tokenizer->encode("", false, false).empty());
}

TEST(TokenizerSpm, FallsBackToByteTokensForCharactersOutsideTheVocabulary) {
  const auto tokenizer = Tokenizer::from_gguf(test::VocabBuilder("llama")
                                                  .token("<unk>", 2)
                                                  .token("<s>", 3)
                                                  .token("</s>", 3)
                                                  .token("<0xC3>", 6)
                                                  .token("<0xA9>", 6)
                                                  .token("\xE2\x96\x81", 1, -1.0f)
                                                  .token("a", 1, -2.0f)
                                                  .token("\xE2\x96\x81" "a", 1, -0.5f)
                                                  .build());
  // " aé": "▁a" merges; "é" (C3 A9) is no token, so it goes out as its two bytes.
  EXPECT_EQ(tokenizer->encode("a\xC3\xA9", false, false), (std::vector<TokenId>{7, 3, 4}));
  EXPECT_EQ(tokenizer->token_to_piece(3, false) + tokenizer->token_to_piece(4, false), "\xC3\xA9");
}

TEST(TokenizerSpm, SpacePrefixCanBeTurnedOff) {
  const auto tokenizer = Tokenizer::from_gguf(test::VocabBuilder("llama")
                                                  .token("<unk>", 2)
                                                  .token("<s>", 3)
                                                  .token("</s>", 3)
                                                  .token("a")
                                                  .token("\xE2\x96\x81" "a")
                                                  .boolean("tokenizer.ggml.add_space_prefix", false)
                                                  .build());
  EXPECT_EQ(tokenizer->encode("a", false, false), (std::vector<TokenId>{3}));
  EXPECT_EQ(tokenizer->encode(" a", false, false), (std::vector<TokenId>{4}));
}

}  // namespace nt
