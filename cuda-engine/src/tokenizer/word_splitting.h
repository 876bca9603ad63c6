// The machinery of llama.cpp's unicode_regex_split, which every byte-level BPE pre-tokenizer is
// built from. A pre-tokenizer is a list of passes; each pass splits every current segment
// further and keeps both what it matched and the gaps between matches, so the segments always
// cover the whole text. Segments are lengths in code points.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

namespace nt {

using Segments = std::vector<size_t>;

// A hand-written scanner for a whole regex (llama.cpp's custom GPT-2 and Llama 3 splitters):
// appends the word lengths of one segment, which add up to n.
using SegmentScanner = void (*)(const uint32_t* text, size_t n, Segments& words);

struct PatternMatch {
  size_t start;   // n when there is no match
  size_t length;  // > 0 when there is a match
};

// One regex that never matches empty, with std::regex's leftmost-first semantics: the first
// match that starts at or after `from` inside a segment of n code points.
using PatternFinder = PatternMatch (*)(const uint32_t* text, size_t n, size_t from);

Segments split_with_scanner(const std::vector<uint32_t>& text, const Segments& segments, SegmentScanner scan);
Segments split_with_finder(const std::vector<uint32_t>& text, const Segments& segments, PatternFinder find);

// The whole text as one segment: where every pre-tokenizer starts.
Segments whole_text(const std::vector<uint32_t>& text);

// Building blocks for finders. A character class is a predicate on a code point.
using CharClass = bool (*)(uint32_t code_point);

// X+ : the first run of class members.
PatternMatch find_run(const uint32_t* text, size_t n, size_t from, CharClass in_class);
// X : the first single class member.
PatternMatch find_one(const uint32_t* text, size_t n, size_t from, CharClass in_class);
// \s?X+ : a run, with one whitespace code point before it when there is one (the regex tries
// the whitespace first, so a match starts at the whitespace).
PatternMatch find_space_then_run(const uint32_t* text, size_t n, size_t from, CharClass in_class);

}  // namespace nt
