#include "tokenizer/special_partition.h"

namespace nt {

namespace {

// One special token looked for in the text pieces. Control and unknown tokens count only where
// the input parses special texts; user-defined ones are split out everywhere, as Hugging Face
// tokenizers (and llama.cpp without parse_special) do.
struct SpecialSearch {
  TokenId id;
  const std::string& text;
  bool everywhere;
};

// Appends the pieces of one text fragment split at every accepted occurrence of the token. An
// occurrence that is refused (it lies partly in an unparsed part) stays text, and the search goes
// on from its next byte.
void split_text_fragment(const TokenizerInput& input, const Fragment& fragment, const SpecialSearch& special,
                         std::vector<Fragment>& out) {
  const std::string_view text = std::string_view(input.text()).substr(0, fragment.offset + fragment.length);
  size_t start = fragment.offset;
  size_t from = start;
  while (from < text.size()) {
    const size_t match = text.find(special.text, from);
    if (match == std::string_view::npos) break;
    if (!special.everywhere && !input.parses_special_in(match, special.text.size())) {
      from = match + 1;
      continue;
    }
    if (match > start) out.push_back({-1, start, match - start});
    out.push_back({special.id, 0, 0});
    start = from = match + special.text.size();
  }
  if (start < text.size()) out.push_back({-1, start, text.size() - start});
}

}  // namespace

std::vector<Fragment> partition_special_tokens(const TokenizerInput& input, const Vocabulary& vocab) {
  std::vector<Fragment> fragments;
  if (input.text().empty()) return fragments;
  fragments.push_back({-1, 0, input.text().size()});
  for (TokenId id : vocab.specials_longest_first) {
    const bool user_defined = !vocab.has(id, kAttrControl | kAttrUnknown);
    if (!user_defined && !input.parses_special_anywhere()) continue;
    const SpecialSearch special{id, vocab.tokens[id].text, user_defined};
    std::vector<Fragment> next;
    next.reserve(fragments.size());
    for (const Fragment& fragment : fragments) {
      if (fragment.is_text()) {
        split_text_fragment(input, fragment, special, next);
      } else {
        next.push_back(fragment);
      }
    }
    fragments.swap(next);
  }
  return fragments;
}

}  // namespace nt
