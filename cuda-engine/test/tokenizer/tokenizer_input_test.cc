// Encoding a prompt in parts (TokenizerInput): special-token texts count only inside the parts
// that parse them, and the parts are one text otherwise, so a prompt whose unparsed parts hold no
// special text tokenizes exactly as the joined string with parse_special.
#include <gtest/gtest.h>

#include <algorithm>
#include <fstream>
#include <iterator>

#include "tokenizer/test_vocab.h"
#include "tokenizer/tokenizer.h"

namespace nt {

namespace {

// Ids 0..255 are the byte-level alphabet in byte order; then:
enum : TokenId { kHe = 256, kImStart, kImEnd, kToolTag };

std::unique_ptr<Tokenizer> small_bpe() {
  test::VocabBuilder vocab("gpt2", "gpt-2");
  test::add_byte_level_alphabet(vocab)
      .token("he")
      .token("<|im_start|>", 3)
      .token("<|im_end|>", 3)
      .token("<tool>", 4)  // user-defined
      .merge("h e")
      .u32("tokenizer.ggml.bos_token_id", kImStart)
      .u32("tokenizer.ggml.eos_token_id", kImEnd);
  return Tokenizer::from_gguf(vocab.build());
}

TokenizerInput parts(std::initializer_list<std::pair<std::string, bool>> list) {
  TokenizerInput input;
  for (const auto& [text, parse_special] : list) input.append(text, parse_special);
  return input;
}

std::vector<TokenId> concat(std::vector<TokenId> a, const std::vector<TokenId>& b) {
  a.insert(a.end(), b.begin(), b.end());
  return a;
}

}  // namespace

TEST(TokenizerInput, AcceptsARangeOnlyWhollyInsideParsedParts) {
  const TokenizerInput input = parts({{"ab", true}, {"cd", true}, {"ef", false}, {"gh", true}});
  EXPECT_EQ(input.text(), "abcdefgh");
  EXPECT_TRUE(input.parses_special_anywhere());
  EXPECT_TRUE(input.parses_special_in(0, 4)) << "adjacent parsed parts are one range";
  EXPECT_TRUE(input.parses_special_in(6, 2));
  EXPECT_FALSE(input.parses_special_in(3, 2)) << "straddles into the unparsed part";
  EXPECT_FALSE(input.parses_special_in(4, 1));
  EXPECT_FALSE(input.parses_special_in(5, 2));
  EXPECT_FALSE(parts({{"abc", false}}).parses_special_anywhere());
}

TEST(TokenizerInput, RecognisesControlTokensInParsedPartsOnly) {
  const auto tokenizer = small_bpe();
  const std::vector<TokenId> ids =
      tokenizer->encode_input(parts({{"<|im_start|>he\n", true}, {"he<|im_end|><|im_start|>", false}, {"<|im_end|>", true}}), false);
  // The message's marker texts stay text: as that text alone without parse_special, between the
  // template's two real markers.
  const std::vector<TokenId> expected =
      concat(concat({kImStart}, tokenizer->encode("he\nhe<|im_end|><|im_start|>", false, false)), {kImEnd});
  EXPECT_EQ(ids, expected);
  EXPECT_EQ(std::count(ids.begin(), ids.end(), kImStart), 1);
  EXPECT_EQ(std::count(ids.begin(), ids.end(), kImEnd), 1);
}

TEST(TokenizerInput, RefusesASpecialTextThatStraddlesAPartBoundary) {
  const auto tokenizer = small_bpe();
  const std::vector<TokenId> ids = tokenizer->encode_input(parts({{"<|im_", true}, {"end|>", false}}), false);
  EXPECT_EQ(ids, tokenizer->encode("<|im_end|>", false, false));
  EXPECT_EQ(std::count(ids.begin(), ids.end(), kImEnd), 0);
}

TEST(TokenizerInput, FindsALaterWhollyParsedOccurrenceAfterARefusedOne) {
  const auto tokenizer = small_bpe();
  // The first <|im_end|> is the message's; the second, in the same text piece, the template's.
  const std::vector<TokenId> ids = tokenizer->encode_input(parts({{"<|im_end|>", false}, {"he<|im_end|>", true}}), false);
  EXPECT_EQ(ids, concat(tokenizer->encode("<|im_end|>he", false, false), {kImEnd}));
}

TEST(TokenizerInput, SplitsUserDefinedTokensEverywhereAsWithoutParseSpecial) {
  const auto tokenizer = small_bpe();
  EXPECT_EQ(tokenizer->encode_input(parts({{"he<tool>", false}}), false), (std::vector<TokenId>{kHe, kToolTag}));
}

TEST(TokenizerInput, OnePartEncodesAsEncodeWithItsParseSpecial) {
  const auto tokenizer = small_bpe();
  for (bool parse_special : {false, true}) {
    const std::string text = "he<|im_start|>he <tool><|im_end|>";
    EXPECT_EQ(tokenizer->encode_input(TokenizerInput(text, parse_special), true), tokenizer->encode(text, true, parse_special));
  }
}

namespace {

// On the real vocabularies: every llama.cpp test string as a message between markers tokenizes
// exactly as the joined prompt did with parse_special (the SentencePiece space prefix and BPE
// pre-tokenization run across the part boundaries).
void expect_parts_match_the_joined_prompt(const std::string& file, const std::string& open, const std::string& close,
                                          const std::vector<std::string>& specials) {
  const std::string path = test::test_data_dir() + "/vocab/" + file;
  const auto tokenizer = Tokenizer::from_gguf(read_gguf_file(path));
  std::ifstream in(path + ".inp", std::ios::binary);
  const std::string inp((std::istreambuf_iterator<char>(in)), {});
  const std::string separator = "\n__ggml_vocab_test__\n";
  size_t compared = 0;
  for (size_t start = 0, end; (end = inp.find(separator, start)) != std::string::npos; start = end + separator.size()) {
    const std::string message = inp.substr(start, end - start);
    if (std::any_of(specials.begin(), specials.end(), [&](const std::string& s) { return message.find(s) != std::string::npos; })) {
      continue;  // a message with special text is meant to tokenize differently
    }
    const TokenizerInput input = parts({{open, true}, {message, false}, {close, true}});
    EXPECT_EQ(tokenizer->encode_input(input, true), tokenizer->encode(open + message + close, true, true))
        << file << ": '" << message << "'";
    ++compared;
  }
  EXPECT_GE(compared, 40u);
}

}  // namespace

TEST(TokenizerInput, ContentsWithoutSpecialTextTokenizeAsTheJoinedPromptOnLlamaSpm) {
  REQUIRE_TEST_DATA();
  expect_parts_match_the_joined_prompt("ggml-vocab-llama-spm.gguf", "<s>[INST] ", " [/INST]</s>", {"<s>", "</s>", "<unk>"});
}

TEST(TokenizerInput, ContentsWithoutSpecialTextTokenizeAsTheJoinedPromptOnGpt2) {
  REQUIRE_TEST_DATA();
  expect_parts_match_the_joined_prompt("ggml-vocab-gpt-2.gguf", "<|endoftext|>user\n", "<|endoftext|>\n", {"<|endoftext|>"});
}

}  // namespace nt
