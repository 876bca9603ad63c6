#include "tokenizer/word_splitting.h"

#include "tokenizer/unicode_category.h"

namespace nt {

namespace {

size_t run_end(const uint32_t* text, size_t n, size_t pos, CharClass in_class) {
  while (pos < n && in_class(text[pos])) ++pos;
  return pos;
}

}  // namespace

Segments whole_text(const std::vector<uint32_t>& text) {
  return text.empty() ? Segments{} : Segments{text.size()};
}

Segments split_with_scanner(const std::vector<uint32_t>& text, const Segments& segments, SegmentScanner scan) {
  Segments words;
  words.reserve(segments.size());
  size_t start = 0;
  for (size_t length : segments) {
    scan(text.data() + start, length, words);
    start += length;
  }
  return words;
}

// As llama.cpp's unicode_regex_split_stl: for each segment, the text before each match (if
// any), the match, and what is left after the last match.
Segments split_with_finder(const std::vector<uint32_t>& text, const Segments& segments, PatternFinder find) {
  Segments words;
  words.reserve(segments.size());
  size_t start = 0;
  for (size_t length : segments) {
    const uint32_t* segment = text.data() + start;
    size_t done = 0;
    while (done < length) {
      const PatternMatch match = find(segment, length, done);
      if (match.length == 0) break;
      if (match.start > done) words.push_back(match.start - done);
      words.push_back(match.length);
      done = match.start + match.length;
    }
    if (done < length) words.push_back(length - done);
    start += length;
  }
  return words;
}

PatternMatch find_run(const uint32_t* text, size_t n, size_t from, CharClass in_class) {
  for (size_t pos = from; pos < n; ++pos) {
    if (in_class(text[pos])) return {pos, run_end(text, n, pos, in_class) - pos};
  }
  return {n, 0};
}

PatternMatch find_one(const uint32_t* text, size_t n, size_t from, CharClass in_class) {
  for (size_t pos = from; pos < n; ++pos) {
    if (in_class(text[pos])) return {pos, 1};
  }
  return {n, 0};
}

PatternMatch find_space_then_run(const uint32_t* text, size_t n, size_t from, CharClass in_class) {
  for (size_t pos = from; pos < n; ++pos) {
    if (is_unicode_whitespace(text[pos]) && pos + 1 < n && in_class(text[pos + 1])) {
      return {pos, run_end(text, n, pos + 1, in_class) - pos};
    }
    if (in_class(text[pos])) return {pos, run_end(text, n, pos, in_class) - pos};
  }
  return {n, 0};
}

}  // namespace nt
