#include <gtest/gtest.h>

#include "tokenizer/unicode_category.h"

namespace nt {

TEST(TokenizerUnicode, CategoriesOfCharacteristicCodePoints) {
  EXPECT_EQ(unicode_category('a'), UnicodeCategory::kLetter);
  EXPECT_EQ(unicode_category(0x4E16), UnicodeCategory::kLetter);  // 世
  EXPECT_EQ(unicode_category(0x0301), UnicodeCategory::kMark);    // combining acute
  EXPECT_EQ(unicode_category('7'), UnicodeCategory::kNumber);
  EXPECT_EQ(unicode_category(0x00BD), UnicodeCategory::kNumber);  // ½
  EXPECT_EQ(unicode_category(0x0661), UnicodeCategory::kNumber);  // Arabic-Indic one
  EXPECT_EQ(unicode_category('!'), UnicodeCategory::kPunctuation);
  EXPECT_EQ(unicode_category(0x3002), UnicodeCategory::kPunctuation);  // 。
  EXPECT_EQ(unicode_category('$'), UnicodeCategory::kSymbol);
  EXPECT_EQ(unicode_category(0x1F600), UnicodeCategory::kSymbol);  // 😀
  EXPECT_EQ(unicode_category(' '), UnicodeCategory::kSeparator);
  EXPECT_EQ(unicode_category('\n'), UnicodeCategory::kOther);
  EXPECT_EQ(unicode_category(0xD800), UnicodeCategory::kOther);    // surrogate
  EXPECT_EQ(unicode_category(0x10FFFF), UnicodeCategory::kOther);  // noncharacter
  EXPECT_EQ(unicode_category(0x110000), UnicodeCategory::kOther);
}

TEST(TokenizerUnicode, WhitespaceIsTheWhiteSpaceProperty) {
  for (uint32_t cp : {0x09u, 0x0Au, 0x0Bu, 0x0Cu, 0x0Du, 0x20u, 0x85u, 0xA0u, 0x1680u, 0x2000u, 0x200Au, 0x2028u,
                      0x2029u, 0x202Fu, 0x205Fu, 0x3000u}) {
    EXPECT_TRUE(is_unicode_whitespace(cp)) << std::hex << cp;
  }
  // U+001C..U+001F are spaces to Python's str.isspace but not White_Space; U+200B and U+FEFF
  // are format characters.
  for (uint32_t cp : {0x08u, 0x1Cu, 0x1Fu, 0x200Bu, 0xFEFFu, uint32_t{'a'}}) {
    EXPECT_FALSE(is_unicode_whitespace(cp)) << std::hex << cp;
  }
}

}  // namespace nt
