#include <gtest/gtest.h>

#include "tokenizer/tokenizer.h"

namespace nt {

TEST(TokenizerUtf8Stream, HoldsBackAFourByteEmojiUntilItsLastByteArrives) {
  Utf8Stream stream;
  const std::string emoji = "\xF0\x9F\xA6\x99";  // U+1F999
  EXPECT_EQ(stream.push("a" + emoji.substr(0, 1)), "a");
  EXPECT_EQ(stream.push(emoji.substr(1, 2)), "");
  EXPECT_EQ(stream.push(emoji.substr(3) + "b"), emoji + "b");
  EXPECT_EQ(stream.flush(), "");
}

TEST(TokenizerUtf8Stream, FlushReplacesAnUnfinishedSequenceWithOneReplacementCharacter) {
  Utf8Stream stream;
  EXPECT_EQ(stream.push("x\xE2\x82"), "x");
  EXPECT_EQ(stream.flush(), "\xEF\xBF\xBD");
  EXPECT_EQ(stream.flush(), "");
}

TEST(TokenizerUtf8Stream, InvalidBytesBecomeReplacementCharactersWithoutWaiting) {
  Utf8Stream stream;
  // A stray continuation byte, a byte that never appears in UTF-8, and a lead byte whose next
  // byte is out of range (E0 needs A0..BF): one U+FFFD per maximal subpart.
  EXPECT_EQ(stream.push("\x80" "a" "\xFF" "b" "\xE0\x80" "c"),
            "\xEF\xBF\xBD" "a" "\xEF\xBF\xBD" "b" "\xEF\xBF\xBD\xEF\xBF\xBD" "c");
}

TEST(TokenizerUtf8Stream, PassesCompleteTextThroughUnchanged) {
  Utf8Stream stream;
  const std::string text = "Hello, мир, 世界 \xF0\x9F\x98\x80";
  EXPECT_EQ(stream.push(text), text);
  EXPECT_EQ(stream.flush(), "");
}

}  // namespace nt
