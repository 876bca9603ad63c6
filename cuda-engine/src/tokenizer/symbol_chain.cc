#include "tokenizer/symbol_chain.h"

#include <algorithm>

#include "tokenizer/code_points.h"

namespace nt {

SymbolChain::SymbolChain(const std::string& text) : text_(text) {
  size_t offset = 0;
  while (offset < text_.size()) {
    const size_t length = std::min(utf8_sequence_length(static_cast<uint8_t>(text_[offset])), text_.size() - offset);
    const int index = static_cast<int>(symbols_.size());
    symbols_.push_back({index - 1, offset + length == text_.size() ? -1 : index + 1, offset, length});
    offset += length;
  }
}

void SymbolChain::merge(int left, int right) {
  Symbol& l = symbols_[left];
  Symbol& r = symbols_[right];
  l.length += r.length;
  r.length = 0;
  l.next = r.next;
  if (r.next >= 0) symbols_[r.next].prev = left;
}

}  // namespace nt
