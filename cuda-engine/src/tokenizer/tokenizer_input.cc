#include "tokenizer/tokenizer_input.h"

#include <algorithm>
#include <iterator>

namespace nt {

void TokenizerInput::append(std::string_view text, bool parse_special) {
  const size_t begin = text_.size();
  text_.append(text);
  if (!parse_special || text.empty()) return;
  if (!parsed_.empty() && parsed_.back().second == begin) {
    parsed_.back().second = text_.size();
  } else {
    parsed_.emplace_back(begin, text_.size());
  }
}

bool TokenizerInput::parses_special_in(size_t offset, size_t length) const {
  // The last range that begins at or before offset is the only one that can hold it.
  const auto after = std::upper_bound(parsed_.begin(), parsed_.end(), offset,
                                      [](size_t at, const std::pair<size_t, size_t>& r) { return at < r.first; });
  if (after == parsed_.begin()) return false;
  const auto& range = *std::prev(after);
  return offset + length <= range.second;
}

}  // namespace nt
