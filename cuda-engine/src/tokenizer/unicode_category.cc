#include "tokenizer/unicode_category.h"

#include <algorithm>
#include <array>

namespace nt {

namespace {

UnicodeCategory category_from_runs(uint32_t code_point) {
  const CategoryRun* end = kCategoryRuns + kCategoryRunCount;
  // The last run starting at or before the code point; the first run starts at 0.
  const CategoryRun* after = std::upper_bound(
      kCategoryRuns, end, code_point, [](uint32_t cp, const CategoryRun& run) { return cp < run.start; });
  return (after - 1)->category;
}

// Most text is ASCII, and the scanners ask about every code point several times.
const std::array<UnicodeCategory, 128>& ascii_categories() {
  static const std::array<UnicodeCategory, 128> table = [] {
    std::array<UnicodeCategory, 128> t{};
    for (uint32_t cp = 0; cp < 128; ++cp) t[cp] = category_from_runs(cp);
    return t;
  }();
  return table;
}

}  // namespace

UnicodeCategory unicode_category(uint32_t code_point) {
  if (code_point < 128) return ascii_categories()[code_point];
  if (code_point > 0x10FFFF) return UnicodeCategory::kOther;
  return category_from_runs(code_point);
}

bool is_unicode_whitespace(uint32_t code_point) {
  for (size_t i = 0; i < kWhitespaceRangeCount; ++i) {
    if (code_point < kWhitespaceRanges[i].first) return false;
    if (code_point <= kWhitespaceRanges[i].last) return true;
  }
  return false;
}

}  // namespace nt
