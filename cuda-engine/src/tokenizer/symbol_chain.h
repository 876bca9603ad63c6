// The text both merge tokenizers (SentencePiece and BPE) work on: a doubly linked chain of
// symbols, each a byte range of the text, starting as one symbol per UTF-8 character and
// shrinking as neighbours merge. Which pairs merge, and in what order, stays with each tokenizer.
#pragma once

#include <string>
#include <vector>

namespace nt {

class SymbolChain {
 public:
  // One symbol per UTF-8 character; a truncated sequence at the end makes a shorter last symbol,
  // as in llama.cpp.
  explicit SymbolChain(const std::string& text);

  int size() const { return static_cast<int>(symbols_.size()); }
  int first() const { return symbols_.empty() ? -1 : 0; }
  int prev(int i) const { return symbols_[i].prev; }
  int next(int i) const { return symbols_[i].next; }  // -1 after the last live symbol
  // False once merged into its left neighbour.
  bool alive(int i) const { return symbols_[i].length > 0; }
  size_t length(int i) const { return symbols_[i].length; }
  std::string text_of(int i) const { return text_.substr(symbols_[i].offset, symbols_[i].length); }
  // The text of left and right together (adjacent symbols).
  std::string text_of_pair(int left, int right) const {
    return text_.substr(symbols_[left].offset, symbols_[left].length + symbols_[right].length);
  }

  // Joins right (the next live symbol) into left.
  void merge(int left, int right);

 private:
  struct Symbol {
    int prev;
    int next;
    size_t offset;  // into the text
    size_t length;  // bytes; 0 once merged into its left neighbour
  };

  const std::string& text_;
  std::vector<Symbol> symbols_;
};

}  // namespace nt
