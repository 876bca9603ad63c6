// Byte-level BPE tokenizers on small vocabularies built here, and on GPT-2's.
#include <gtest/gtest.h>

#include "core/engine_error.h"
#include "tokenizer/test_vocab.h"
#include "tokenizer/tokenizer.h"

namespace nt {

namespace {

// Ids 0..255 are the byte-level alphabet in byte order (byte b has id b); then:
enum : TokenId {
  kHe = 256, kLl, kHell, kHello, kSpaceHello, kImEnd, kEndOfText, kToolTag, kBeginOfText, kAbc, kAb,
};

test::VocabBuilder small_bpe(const std::string& pre) {
  test::VocabBuilder vocab("gpt2", pre);
  test::add_byte_level_alphabet(vocab)
      .token("he")
      .token("ll")
      .token("hell")
      .token("hello")
      .token("\xC4\xA0hello")  // "Ġhello"
      .token("<|im_end|>", 3)
      .token("<|endoftext|>", 3)
      .token("<tool>", 4)
      .token("<|begin_of_text|>", 3)
      .token("abc")
      .token("ab")
      .merge("h e")
      .merge("l l")
      .merge("he ll")
      .merge("hell o")
      .merge("\xC4\xA0 hello")
      .merge("a b")
      .u32("tokenizer.ggml.bos_token_id", kBeginOfText)
      .u32("tokenizer.ggml.eos_token_id", kEndOfText);
  return vocab;
}

std::unique_ptr<Tokenizer> tokenizer_for(const test::VocabBuilder& vocab) { return Tokenizer::from_gguf(vocab.build()); }

std::string error_code_of(const test::VocabBuilder& vocab, std::string* message = nullptr) {
  try {
    Tokenizer::from_gguf(vocab.build());
  } catch (const EngineError& e) {
    if (message) *message = e.what();
    return e.code();
  }
  return "(no error)";
}

}  // namespace

TEST(TokenizerBpe, MergesByRankAndRendersTheByteLevelAlphabetAsBytes) {
  const auto tokenizer = tokenizer_for(small_bpe("gpt-2"));
  EXPECT_EQ(tokenizer->encode("hello hello", false, false), (std::vector<TokenId>{kHello, kSpaceHello}));
  EXPECT_EQ(tokenizer->encode("hel", false, false), (std::vector<TokenId>{kHe, 'l'}));
  EXPECT_EQ(tokenizer->token_to_piece(kSpaceHello, false), " hello");
  EXPECT_EQ(tokenizer->token_to_piece('\n', false), "\n");  // byte 0x0A is spelled U+010A
}

TEST(TokenizerBpe, ParsesControlTokensOnlyWhenAskedButUserDefinedOnesAlways) {
  const auto tokenizer = tokenizer_for(small_bpe("gpt-2"));
  EXPECT_EQ(tokenizer->encode("he<|im_end|>", false, true), (std::vector<TokenId>{kHe, kImEnd}));
  const std::vector<TokenId> plain = tokenizer->encode("he<|im_end|>", false, false);
  EXPECT_EQ(std::count(plain.begin(), plain.end(), kImEnd), 0);
  EXPECT_EQ(plain.front(), kHe);
  EXPECT_EQ(tokenizer->encode("he<tool>he", false, false), (std::vector<TokenId>{kHe, kToolTag, kHe}));
}

TEST(TokenizerBpe, MatchesTheLongestSpecialTokenFirst) {
  test::VocabBuilder vocab = small_bpe("gpt-2");
  vocab.token("<|im_end|>x", 3);  // id 267, a longer text that contains <|im_end|>
  const auto tokenizer = tokenizer_for(vocab);
  EXPECT_EQ(tokenizer->encode("<|im_end|>x<|im_end|>", false, true), (std::vector<TokenId>{267, kImEnd}));
}

TEST(TokenizerBpe, RendersControlTokensOnlyWhenAskedAndUserDefinedOnesAlways) {
  const auto tokenizer = tokenizer_for(small_bpe("gpt-2"));
  EXPECT_EQ(tokenizer->token_to_piece(kImEnd, false), "");
  EXPECT_EQ(tokenizer->token_to_piece(kImEnd, true), "<|im_end|>");
  EXPECT_EQ(tokenizer->token_to_piece(kToolTag, false), "<tool>");
}

TEST(TokenizerBpe, EndOfGenerationCoversEosAndEndOfTurnTexts) {
  const auto tokenizer = tokenizer_for(small_bpe("qwen2"));
  EXPECT_TRUE(tokenizer->is_end_of_generation(kEndOfText));
  EXPECT_TRUE(tokenizer->is_end_of_generation(kImEnd));
  EXPECT_FALSE(tokenizer->is_end_of_generation(kBeginOfText));
  EXPECT_FALSE(tokenizer->is_end_of_generation(kHello));
}

TEST(TokenizerBpe, EndOfTurnTextsBecomeControlTokensEvenWhenTypedNormal) {
  test::VocabBuilder vocab("gpt2", "llama-bpe");
  test::add_byte_level_alphabet(vocab).token("<|eot_id|>", 1).merge("a b").u32("tokenizer.ggml.bos_token_id", 0);
  const auto tokenizer = tokenizer_for(vocab);
  EXPECT_TRUE(tokenizer->is_end_of_generation(256));
  EXPECT_EQ(tokenizer->token_to_piece(256, false), "");
  EXPECT_EQ(tokenizer->encode("<|eot_id|>", false, true), (std::vector<TokenId>{256}));
}

TEST(TokenizerBpe, AddsBosForLlama3ButNotForGpt2UnlessTheMetadataSays) {
  EXPECT_EQ(tokenizer_for(small_bpe("llama-bpe"))->encode("he", true, false), (std::vector<TokenId>{kBeginOfText, kHe}));
  EXPECT_EQ(tokenizer_for(small_bpe("gpt-2"))->encode("he", true, false), (std::vector<TokenId>{kHe}));
  test::VocabBuilder with_keys = small_bpe("gpt-2");
  with_keys.boolean("tokenizer.ggml.add_bos_token", true).boolean("tokenizer.ggml.add_eos_token", true);
  EXPECT_EQ(tokenizer_for(with_keys)->encode("he", true, false), (std::vector<TokenId>{kBeginOfText, kHe, kEndOfText}));
  EXPECT_EQ(tokenizer_for(with_keys)->encode("he", false, false), (std::vector<TokenId>{kHe}));
}

TEST(TokenizerBpe, Llama3TakesAWordThatIsATokenWholeInsteadOfMergingIt) {
  // "abc" is a token no merge can build; with merges, "a b" gives "ab" + "c".
  EXPECT_EQ(tokenizer_for(small_bpe("llama-bpe"))->encode("abc", false, false), (std::vector<TokenId>{kAbc}));
  EXPECT_EQ(tokenizer_for(small_bpe("gpt-2"))->encode("abc", false, false), (std::vector<TokenId>{kAb, 'c'}));
}

TEST(TokenizerBpe, RefusesUnknownModelsAndPreTokenizersByName) {
  std::string message;
  EXPECT_EQ(error_code_of(small_bpe("no-such-pre"), &message), "NT_E_UNSUPPORTED");
  EXPECT_NE(message.find("no-such-pre"), std::string::npos) << message;
  test::VocabBuilder unknown_model("t5");
  unknown_model.token("a");
  EXPECT_EQ(error_code_of(unknown_model, &message), "NT_E_UNSUPPORTED");
  EXPECT_NE(message.find("t5"), std::string::npos) << message;
}

TEST(TokenizerBpe, RefusesInconsistentMetadata) {
  test::VocabBuilder no_merges("gpt2", "gpt-2");
  no_merges.token("a");
  EXPECT_EQ(error_code_of(no_merges), "NT_E_BAD_GGUF");
  test::VocabBuilder duplicate("gpt2", "gpt-2");
  duplicate.token("a").token("a").merge("a a");
  EXPECT_EQ(error_code_of(duplicate), "NT_E_BAD_GGUF");
  GgufFile no_model = small_bpe("gpt-2").build();
  no_model.metadata.erase(no_model.metadata.begin());  // tokenizer.ggml.model comes first
  try {
    Tokenizer::from_gguf(no_model);
    FAIL() << "a file without tokenizer.ggml.model must throw";
  } catch (const EngineError& e) {
    EXPECT_EQ(e.code(), "NT_E_BAD_GGUF");
  }
}

TEST(TokenizerBpe, Gpt2EndOfTextIsAControlTokenThatEndsGeneration) {
  REQUIRE_TEST_DATA();
  const auto tokenizer = Tokenizer::from_gguf(test::read_test_gguf("vocab/ggml-vocab-gpt-2.gguf"));
  EXPECT_EQ(tokenizer->n_vocab(), 50257);
  EXPECT_EQ(tokenizer->bos(), 50256);
  EXPECT_EQ(tokenizer->encode("Hi<|endoftext|>", true, true), (std::vector<TokenId>{17250, 50256}));
  EXPECT_GT(tokenizer->encode("<|endoftext|>", false, false).size(), 1u);
  EXPECT_TRUE(tokenizer->is_end_of_generation(50256));
  EXPECT_EQ(tokenizer->token_to_piece(50256, false), "");
}

}  // namespace nt
