// One segment's code points as llama.cpp's hand-written scanners look at them: a position past
// the end holds nothing, which is neither letter, number, whitespace nor anything else.
#pragma once

#include <cstddef>
#include <cstdint>

#include "tokenizer/unicode_category.h"

namespace nt {

class SegmentView {
 public:
  static constexpr uint32_t kNothing = 0xFFFFFFFF;

  SegmentView(const uint32_t* text, size_t n) : text_(text), n_(n) {}

  size_t size() const { return n_; }
  bool has(size_t pos) const { return pos < n_; }
  uint32_t at(size_t pos) const { return pos < n_ ? text_[pos] : kNothing; }

  bool letter(size_t pos) const { return has(pos) && is_letter(text_[pos]); }
  bool number(size_t pos) const { return has(pos) && is_number(text_[pos]); }
  bool whitespace(size_t pos) const { return has(pos) && is_unicode_whitespace(text_[pos]); }
  bool newline(size_t pos) const { return at(pos) == '\r' || at(pos) == '\n'; }
  // [^\s\p{L}\p{N}] : present, and neither whitespace, letter nor number.
  bool other(size_t pos) const { return has(pos) && !whitespace(pos) && !letter(pos) && !number(pos); }

 private:
  const uint32_t* text_;
  size_t n_;
};

// 's|'t|'re|'ve|'m|'ll|'d at pos: the match length, or 0. With ignore_case, (?i:...) as Llama 3
// writes it; ASCII folding is exact for these letters (checked by the table generator).
inline size_t contraction_length(const SegmentView& s, size_t pos, bool ignore_case) {
  if (s.at(pos) != '\'' || !s.has(pos + 1)) return 0;
  const auto fold = [&](uint32_t c) { return ignore_case && c >= 'A' && c <= 'Z' ? c + ('a' - 'A') : c; };
  const uint32_t c1 = fold(s.at(pos + 1));
  if (c1 == 's' || c1 == 't' || c1 == 'm' || c1 == 'd') return 2;
  if (!s.has(pos + 2)) return 0;
  const uint32_t c2 = fold(s.at(pos + 2));
  if ((c1 == 'r' && c2 == 'e') || (c1 == 'v' && c2 == 'e') || (c1 == 'l' && c2 == 'l')) return 3;
  return 0;
}

// \s+(?!\S)|\s+ at pos, as the scanners resolve it: a run of whitespace followed by something
// gives back its last code point (which then leads the next word); a run at the end keeps all.
inline size_t trailing_aware_whitespace_length(const SegmentView& s, size_t pos) {
  size_t n = 0;
  while (s.whitespace(pos + n)) ++n;
  if (n > 1 && s.has(pos + n)) return n - 1;
  return n;
}

}  // namespace nt
