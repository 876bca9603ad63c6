#include "tokenizer/spm_merges.h"

#include <algorithm>
#include <map>
#include <queue>
#include <utility>

#include "engine_error.h"
#include "tokenizer/code_points.h"

namespace nt {

namespace {

struct Symbol {
  int prev;
  int next;
  size_t offset;  // into the text
  size_t length;  // bytes; 0 once merged into its left neighbour
};

struct Bigram {
  int left;
  int right;
  float score;
  size_t length;  // bytes of both symbols when the pair was proposed
};

// Highest score first; on a tie, the leftmost pair (llama.cpp's llm_bigram_spm::comparator).
struct LowerPriority {
  bool operator()(const Bigram& a, const Bigram& b) const {
    return a.score < b.score || (a.score == b.score && a.left > b.left);
  }
};

class SpmSession {
 public:
  SpmSession(const std::string& text, const Vocabulary& vocab) : text_(text), vocab_(vocab) {}

  void run(std::vector<TokenId>& out) {
    split_into_characters();
    for (int i = 1; i < static_cast<int>(symbols_.size()); ++i) propose(i - 1, i);
    merge_best_pairs();
    for (int i = symbols_.empty() ? -1 : 0; i != -1; i = symbols_[i].next) emit(i, out);
  }

 private:
  std::string text_of(int i) const { return text_.substr(symbols_[i].offset, symbols_[i].length); }

  // A truncated sequence at the end makes a shorter last symbol, as in llama.cpp.
  void split_into_characters() {
    size_t offset = 0;
    while (offset < text_.size()) {
      const size_t length = std::min(utf8_sequence_length(static_cast<uint8_t>(text_[offset])), text_.size() - offset);
      const int index = static_cast<int>(symbols_.size());
      symbols_.push_back({index - 1, offset + length == text_.size() ? -1 : index + 1, offset, length});
      offset += length;
    }
  }

  // Remembers which symbols a merged text came from, for emit() to fall back on.
  void propose(int left, int right) {
    if (left == -1 || right == -1) return;
    const std::string text = text_.substr(symbols_[left].offset, symbols_[left].length + symbols_[right].length);
    const TokenId id = vocab_.find(text);
    if (id < 0) return;
    queue_.push({left, right, vocab_.tokens[id].score, text.size()});
    merged_from_[text] = {left, right};
  }

  void merge_best_pairs() {
    while (!queue_.empty()) {
      const Bigram bigram = queue_.top();
      queue_.pop();
      Symbol& left = symbols_[bigram.left];
      Symbol& right = symbols_[bigram.right];
      // Stale: one side has since been merged into something else.
      if (left.length == 0 || right.length == 0 || left.length + right.length != bigram.length) continue;
      left.length += right.length;
      right.length = 0;
      left.next = right.next;
      if (right.next >= 0) symbols_[right.next].prev = bigram.left;
      propose(left.prev, bigram.left);
      propose(bigram.left, left.next);
    }
  }

  void emit(int i, std::vector<TokenId>& out) const {
    const std::string text = text_of(i);
    const TokenId id = vocab_.find(text);
    if (id >= 0) {
      out.push_back(id);
      return;
    }
    const auto parts = merged_from_.find(text);
    if (parts != merged_from_.end()) {
      emit(parts->second.first, out);
      emit(parts->second.second, out);
      return;
    }
    for (char byte : text) out.push_back(byte_token(static_cast<uint8_t>(byte)));
  }

  // <0xXX>, else the byte itself as a token (llama.cpp's byte_to_token), else the unknown token.
  TokenId byte_token(uint8_t byte) const {
    static const char kHex[] = "0123456789ABCDEF";
    const std::string hex = {'<', '0', 'x', kHex[byte >> 4], kHex[byte & 15], '>'};
    TokenId id = vocab_.find(hex);
    if (id < 0) id = vocab_.find(std::string(1, static_cast<char>(byte)));
    if (id < 0) id = vocab_.unk;
    if (id < 0) {
      throw EngineError("NT_E_UNSUPPORTED", "the vocabulary has no token for byte " + hex + " and no unknown token");
    }
    return id;
  }

  const std::string& text_;
  const Vocabulary& vocab_;
  std::vector<Symbol> symbols_;
  std::priority_queue<Bigram, std::vector<Bigram>, LowerPriority> queue_;
  std::map<std::string, std::pair<int, int>> merged_from_;
};

}  // namespace

void append_spm_tokens(const std::string& text, const Vocabulary& vocab, std::vector<TokenId>& out) {
  SpmSession(text, vocab).run(out);
}

}  // namespace nt
