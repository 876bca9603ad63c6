#include "tokenizer/spm_merges.h"

#include <map>
#include <queue>
#include <utility>

#include "core/engine_error.h"
#include "tokenizer/symbol_chain.h"

namespace nt {

namespace {

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
  SpmSession(const std::string& text, const Vocabulary& vocab) : chain_(text), vocab_(vocab) {}

  void run(std::vector<TokenId>& out) {
    for (int i = 1; i < chain_.size(); ++i) propose(i - 1, i);
    merge_best_pairs();
    for (int i = chain_.first(); i != -1; i = chain_.next(i)) emit(i, out);
  }

 private:
  // Remembers which symbols a merged text came from, for emit() to fall back on.
  void propose(int left, int right) {
    if (left == -1 || right == -1) return;
    const std::string text = chain_.text_of_pair(left, right);
    const TokenId id = vocab_.find(text);
    if (id < 0) return;
    queue_.push({left, right, vocab_.tokens[id].score, text.size()});
    merged_from_[text] = {left, right};
  }

  void merge_best_pairs() {
    while (!queue_.empty()) {
      const Bigram bigram = queue_.top();
      queue_.pop();
      // Stale: one side has since been merged into something else.
      if (!chain_.alive(bigram.left) || !chain_.alive(bigram.right) ||
          chain_.length(bigram.left) + chain_.length(bigram.right) != bigram.length) {
        continue;
      }
      chain_.merge(bigram.left, bigram.right);
      propose(chain_.prev(bigram.left), bigram.left);
      propose(bigram.left, chain_.next(bigram.left));
    }
  }

  void emit(int i, std::vector<TokenId>& out) const {
    const std::string text = chain_.text_of(i);
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
      throw EngineError(NT_E_UNSUPPORTED, "the vocabulary has no token for byte " + hex + " and no unknown token");
    }
    return id;
  }

  SymbolChain chain_;
  const Vocabulary& vocab_;
  std::priority_queue<Bigram, std::vector<Bigram>, LowerPriority> queue_;
  std::map<std::string, std::pair<int, int>> merged_from_;
};

}  // namespace

void append_spm_tokens(const std::string& text, const Vocabulary& vocab, std::vector<TokenId>& out) {
  SpmSession(text, vocab).run(out);
}

}  // namespace nt
