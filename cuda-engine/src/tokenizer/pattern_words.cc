#include "tokenizer/pattern_words.h"

#include "tokenizer/unicode_category.h"
#include "tokenizer/word_scanners.h"

namespace nt {

namespace {

struct Range {
  uint32_t first, last;
};

template <size_t N>
bool in_ranges(const Range (&ranges)[N], uint32_t cp) {
  for (const Range& r : ranges) {
    if (cp >= r.first && cp <= r.last) return true;
  }
  return false;
}

// A regex without \p{..} runs in llama.cpp as std::wregex over the code points, after every
// non-ASCII whitespace code point has been replaced by U+000B (so that \s sees it). Literal
// classes therefore never match those code points, even where a range spans them (U+3000).
bool hidden_from_literal_classes(uint32_t cp) { return cp > 0x7F && is_unicode_whitespace(cp); }

bool is_line_break(uint32_t cp) { return cp == '\r' || cp == '\n'; }
bool is_ascii_digit(uint32_t cp) { return cp >= '0' && cp <= '9'; }

// --- "default": [\p{P}\$\+<=>\^~\|]+, then GPT-2's regex, then \p{N}+, then [0-9][0-9][0-9]

bool is_default_punctuation(uint32_t cp) {
  switch (cp) {
    case '$': case '+': case '<': case '=': case '>': case '^': case '~': case '|': return true;
    default: return is_punctuation(cp);
  }
}

PatternMatch find_default_punctuation(const uint32_t* t, size_t n, size_t from) {
  return find_run(t, n, from, is_default_punctuation);
}

PatternMatch find_numbers(const uint32_t* t, size_t n, size_t from) { return find_run(t, n, from, is_number); }

PatternMatch find_three_ascii_digits(const uint32_t* t, size_t n, size_t from) {
  for (size_t pos = from; pos + 3 <= n; ++pos) {
    if (is_ascii_digit(t[pos]) && is_ascii_digit(t[pos + 1]) && is_ascii_digit(t[pos + 2])) return {pos, 3};
  }
  return {n, 0};
}

// --- shared by both DeepSeek pre-tokenizers

PatternMatch find_line_break(const uint32_t* t, size_t n, size_t from) { return find_one(t, n, from, is_line_break); }

// [一-龥ࠀ-一가-퟿]: U+4E00..U+9FA5, U+0800..U+4E00, U+AC00..U+D7FF.
bool is_deepseek_cjk(uint32_t cp) {
  static const Range kRanges[] = {{0x4E00, 0x9FA5}, {0x0800, 0x4E00}, {0xAC00, 0xD7FF}};
  return !hidden_from_literal_classes(cp) && in_ranges(kRanges, cp);
}

PatternMatch find_cjk(const uint32_t* t, size_t n, size_t from) { return find_run(t, n, from, is_deepseek_cjk); }

// --- "deepseek-llm": [\r\n], \s?[A-Za-zµÀ-Ö...]+, \s?[!-/:-~！-／：-～‘-‟　-。]+, \s+$,
// [一-龥ࠀ-一가-퟿]+, \p{N}+

// The cased-letter class of DeepSeek LLM's regex, decoded from llama-vocab.cpp to code points.
bool is_deepseek_latin_letter(uint32_t cp) {
  static const Range kRanges[] = {
      {0x0041, 0x005A}, {0x0061, 0x007A}, {0x00B5, 0x00B5}, {0x00C0, 0x00D6}, {0x00D8, 0x00F6},
      {0x00F8, 0x01BA}, {0x01BC, 0x01BF}, {0x01C4, 0x0293}, {0x0295, 0x02AF}, {0x0370, 0x0373},
      {0x0376, 0x0377}, {0x037B, 0x037D}, {0x037F, 0x037F}, {0x0386, 0x0386}, {0x0388, 0x038A},
      {0x038C, 0x038C}, {0x038E, 0x03A1}, {0x03A3, 0x03F5}, {0x03F7, 0x0481}, {0x048A, 0x052F},
      {0x0531, 0x0556}, {0x10A0, 0x10C5}, {0x13A0, 0x13F5}, {0x13F8, 0x13FD}, {0x1C90, 0x1CBA},
      {0x1CBD, 0x1CBF}, {0x1D00, 0x1D2B}, {0x1D6B, 0x1D77}, {0x1D79, 0x1D9A}, {0x1E00, 0x1F15},
      {0x1F18, 0x1F1D}, {0x1F20, 0x1F45}, {0x1F48, 0x1F4D}, {0x1F50, 0x1F57}, {0x1F59, 0x1F59},
      {0x1F5B, 0x1F5B}, {0x1F5D, 0x1F5D}, {0x1F5F, 0x1F7D}, {0x1F80, 0x1FB4}, {0x1FB6, 0x1FBC},
      {0x1FBE, 0x1FBE}, {0x1FC2, 0x1FC4}, {0x1FC6, 0x1FCC}, {0x1FD0, 0x1FD3}, {0x1FD6, 0x1FDB},
      {0x1FE0, 0x1FEC}, {0x1FF2, 0x1FF4}, {0x1FF6, 0x1FFC}, {0x2102, 0x2102}, {0x2107, 0x2107},
      {0x210A, 0x2113}, {0x2115, 0x2115}, {0x2119, 0x211D}, {0x2124, 0x2124}, {0x2126, 0x2126},
      {0x2128, 0x2128}, {0x212A, 0x212D}, {0x212F, 0x2134}, {0x2139, 0x2139}, {0x213C, 0x213F},
      {0x2145, 0x2149}, {0x214E, 0x214E}, {0x2183, 0x2184}, {0x2C00, 0x2C7B}, {0x2C7E, 0x2CE4},
      {0x2CEB, 0x2CEE}, {0x2CF2, 0x2CF3}, {0xA640, 0xA66D}, {0xA680, 0xA69B}, {0xA722, 0xA76F},
      {0xA771, 0xA787}, {0xA78B, 0xA78E}, {0xAB70, 0xABBF}, {0xFB00, 0xFB06}, {0xFB13, 0xFB17},
      {0xFF21, 0xFF3A}, {0xFF41, 0xFF5A}, {0x10400, 0x1044F}, {0x104B0, 0x104D3}, {0x104D8, 0x104FB},
      {0x10C80, 0x10CB2}, {0x10CC0, 0x10CF2}, {0x118A0, 0x118DF}, {0x1E900, 0x1E943},
  };
  return !hidden_from_literal_classes(cp) && in_ranges(kRanges, cp);
}

// [!-/:-~！-／：-～‘-‟　-。]; note that :-~ spans the ASCII letters too.
bool is_deepseek_symbol(uint32_t cp) {
  static const Range kRanges[] = {{0x21, 0x2F},     {0x3A, 0x7E},     {0xFF01, 0xFF0F},
                                  {0xFF1A, 0xFF5E}, {0x2018, 0x201F}, {0x3000, 0x3002}};
  return !hidden_from_literal_classes(cp) && in_ranges(kRanges, cp);
}

PatternMatch find_spaced_latin(const uint32_t* t, size_t n, size_t from) {
  return find_space_then_run(t, n, from, is_deepseek_latin_letter);
}

PatternMatch find_spaced_symbols(const uint32_t* t, size_t n, size_t from) {
  return find_space_then_run(t, n, from, is_deepseek_symbol);
}

// \s+$ : the whitespace that ends the segment.
PatternMatch find_final_whitespace(const uint32_t* t, size_t n, size_t from) {
  size_t start = n;
  while (start > from && is_unicode_whitespace(t[start - 1])) --start;
  return start < n ? PatternMatch{start, n - start} : PatternMatch{n, 0};
}

// --- "deepseek-coder": [\r\n], \s?\p{L}+, \s?\p{P}+, [一-龥ࠀ-一가-퟿]+, \p{N}

PatternMatch find_spaced_letters(const uint32_t* t, size_t n, size_t from) {
  return find_space_then_run(t, n, from, is_letter);
}

PatternMatch find_spaced_punctuation(const uint32_t* t, size_t n, size_t from) {
  return find_space_then_run(t, n, from, is_punctuation);
}

PatternMatch find_one_number(const uint32_t* t, size_t n, size_t from) { return find_one(t, n, from, is_number); }

Segments apply_finders(const std::vector<uint32_t>& text, Segments segments,
                       std::initializer_list<PatternFinder> finders) {
  for (PatternFinder find : finders) segments = split_with_finder(text, segments, find);
  return segments;
}

}  // namespace

Segments split_default_words(const std::vector<uint32_t>& text) {
  Segments segments = split_with_finder(text, whole_text(text), find_default_punctuation);
  segments = split_with_scanner(text, segments, scan_gpt2_words);
  return apply_finders(text, segments, {find_numbers, find_three_ascii_digits});
}

Segments split_deepseek_llm_words(const std::vector<uint32_t>& text) {
  return apply_finders(text, whole_text(text),
                       {find_line_break, find_spaced_latin, find_spaced_symbols, find_final_whitespace,
                        find_cjk, find_numbers});
}

Segments split_deepseek_coder_words(const std::vector<uint32_t>& text) {
  return apply_finders(text, whole_text(text),
                       {find_line_break, find_spaced_letters, find_spaced_punctuation, find_cjk, find_one_number});
}

}  // namespace nt
