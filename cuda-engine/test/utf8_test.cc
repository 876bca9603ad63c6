#include <gtest/gtest.h>

#include "gguf/utf8.h"

namespace nt {

TEST(Utf8, AcceptsWellFormedText) {
  EXPECT_TRUE(is_valid_utf8(""));
  EXPECT_TRUE(is_valid_utf8("blk.0.attn_q.weight"));
  EXPECT_TRUE(is_valid_utf8("\xE2\x96\x81the"));        // U+2581, SentencePiece's space
  EXPECT_TRUE(is_valid_utf8("\xF0\x9F\xA6\x99"));        // U+1F999, four bytes
  EXPECT_TRUE(is_valid_utf8("\xF4\x8F\xBF\xBF"));        // U+10FFFF, the last code point
}

TEST(Utf8, RefusesIllFormedText) {
  EXPECT_FALSE(is_valid_utf8("\x80"));                   // lone continuation byte
  EXPECT_FALSE(is_valid_utf8("\xC0\xAF"));               // overlong '/'
  EXPECT_FALSE(is_valid_utf8("\xE0\x80\xAF"));           // overlong, three bytes
  EXPECT_FALSE(is_valid_utf8("\xED\xA0\x80"));           // UTF-16 surrogate D800
  EXPECT_FALSE(is_valid_utf8("\xF4\x90\x80\x80"));       // above U+10FFFF
  EXPECT_FALSE(is_valid_utf8("\xE2\x96"));               // truncated sequence
  EXPECT_FALSE(is_valid_utf8("\xFF"));
}

}  // namespace nt
