// The Llama 3 split regex as a scanner, following llama.cpp's unicode_regex_split_custom_llama3.
// Qwen2's regex differs only in splitting digits one by one; llama.cpp runs that one through
// std::regex, whose leftmost-first alternation gives the same words as this scanner.
#include <algorithm>

#include "tokenizer/segment_view.h"
#include "tokenizer/word_scanners.h"

namespace nt {

namespace {

// [^\r\n\p{L}\p{N}]?\p{L}+ at pos.
size_t prefixed_letters_length(const SegmentView& s, size_t pos) {
  if (s.newline(pos) || s.number(pos)) return 0;
  if (!s.letter(pos) && !s.letter(pos + 1)) return 0;
  size_t end = pos + 1;
  while (s.letter(end)) ++end;
  return end - pos;
}

// \p{N}{1,max_digits} at pos.
size_t digits_length(const SegmentView& s, size_t pos, size_t max_digits) {
  size_t end = pos;
  while (s.number(end) && end - pos < max_digits) ++end;
  return end - pos;
}

// ?[^\s\p{L}\p{N}]+[\r\n]* at pos.
size_t spaced_symbols_length(const SegmentView& s, size_t pos) {
  const size_t start = pos + (s.at(pos) == ' ' ? 1 : 0);
  if (!s.other(start)) return 0;
  size_t end = start;
  while (s.other(end)) ++end;
  while (s.newline(end)) ++end;
  return end - pos;
}

// \s*[\r\n]+ at pos: whitespace up to and including the run's last line break.
size_t whitespace_through_newline_length(const SegmentView& s, size_t pos) {
  size_t through_last_newline = 0;
  for (size_t n = 0; s.whitespace(pos + n); ++n) {
    if (s.newline(pos + n)) through_last_newline = n + 1;
  }
  return through_last_newline;
}

void scan_words(const uint32_t* text, size_t n, size_t max_digits, Segments& words) {
  const SegmentView s(text, n);
  size_t pos = 0;
  while (pos < n) {
    size_t length = contraction_length(s, pos, /*ignore_case=*/true);
    if (length == 0) length = prefixed_letters_length(s, pos);
    if (length == 0) length = digits_length(s, pos, max_digits);
    if (length == 0) length = spaced_symbols_length(s, pos);
    if (length == 0) length = whitespace_through_newline_length(s, pos);
    if (length == 0) length = trailing_aware_whitespace_length(s, pos);
    if (length == 0) length = 1;  // unreachable: every code point is in some class
    words.push_back(length);
    pos += length;
  }
}

}  // namespace

void scan_llama3_words(const uint32_t* text, size_t n, Segments& words) { scan_words(text, n, 3, words); }

void scan_qwen2_words(const uint32_t* text, size_t n, Segments& words) { scan_words(text, n, 1, words); }

}  // namespace nt
