// GPT-2's split regex as a scanner, following llama.cpp's unicode_regex_split_custom_gpt2
// (which llama.cpp uses for this exact regex instead of std::regex).
#include "tokenizer/segment_view.h"
#include "tokenizer/word_scanners.h"

namespace nt {

namespace {

// ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+ at pos: one optional space, then a run of one class,
// the class being that of the first code point after the space.
size_t spaced_class_run_length(const SegmentView& s, size_t pos) {
  const size_t start = pos + (s.at(pos) == ' ' ? 1 : 0);
  size_t end = start;
  if (s.letter(start)) {
    while (s.letter(end)) ++end;
  } else if (s.number(start)) {
    while (s.number(end)) ++end;
  } else if (s.other(start)) {
    while (s.other(end)) ++end;
  } else {
    return 0;
  }
  return end - pos;
}

}  // namespace

void scan_gpt2_words(const uint32_t* text, size_t n, Segments& words) {
  const SegmentView s(text, n);
  size_t pos = 0;
  while (pos < n) {
    size_t length = contraction_length(s, pos, /*ignore_case=*/false);
    if (length == 0) length = spaced_class_run_length(s, pos);
    if (length == 0) length = trailing_aware_whitespace_length(s, pos);
    if (length == 0) length = 1;  // unreachable: every code point is in some class
    words.push_back(length);
    pos += length;
  }
}

}  // namespace nt
