#include "tokenizer/special_partition.h"

namespace nt {

namespace {

// Appends the pieces of one text fragment split at every occurrence of `special`.
void split_text_fragment(std::string_view input, const Fragment& fragment, TokenId id, const std::string& special,
                         std::vector<Fragment>& out) {
  size_t start = fragment.offset;
  const size_t end = fragment.offset + fragment.length;
  while (start < end) {
    const size_t match = input.substr(0, end).find(special, start);
    if (match == std::string_view::npos) break;
    if (match > start) out.push_back({-1, start, match - start});
    out.push_back({id, 0, 0});
    start = match + special.size();
  }
  if (start < end) out.push_back({-1, start, end - start});
}

bool is_matched(const Vocabulary& vocab, TokenId id, bool parse_special) {
  // User-defined tokens are split out even without parse_special, as Hugging Face tokenizers do.
  return parse_special || !vocab.has(id, kAttrControl | kAttrUnknown);
}

}  // namespace

std::vector<Fragment> partition_special_tokens(std::string_view text, const Vocabulary& vocab, bool parse_special) {
  std::vector<Fragment> fragments;
  if (text.empty()) return fragments;
  fragments.push_back({-1, 0, text.size()});
  for (TokenId id : vocab.specials_longest_first) {
    if (!is_matched(vocab, id, parse_special)) continue;
    const std::string& special = vocab.tokens[id].text;
    std::vector<Fragment> next;
    next.reserve(fragments.size());
    for (const Fragment& fragment : fragments) {
      if (fragment.is_text()) {
        split_text_fragment(text, fragment, id, special, next);
      } else {
        next.push_back(fragment);
      }
    }
    fragments.swap(next);
  }
  return fragments;
}

}  // namespace nt
