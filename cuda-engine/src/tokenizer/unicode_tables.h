// The Unicode tables that scripts/generateUnicodeTables.ts writes into
// unicode_tables_generated.cc. Read them through unicode_category.h.
#pragma once

#include <cstddef>
#include <cstdint>

namespace nt {

// General category groups: the first letter of a code point's General_Category (L, M, N, P, S, Z,
// C). Unassigned code points (Cn) and surrogates (Cs) are kOther.
enum class UnicodeCategory : uint8_t {
  kLetter,
  kMark,
  kNumber,
  kPunctuation,
  kSymbol,
  kSeparator,
  kOther,
};

struct CategoryRun {
  uint32_t start;  // the run covers [start, next run's start)
  UnicodeCategory category;
};

struct CodePointRange {
  uint32_t first;
  uint32_t last;  // inclusive
};

extern const CategoryRun kCategoryRuns[];
extern const size_t kCategoryRunCount;
extern const CodePointRange kWhitespaceRanges[];
extern const size_t kWhitespaceRangeCount;

}  // namespace nt
