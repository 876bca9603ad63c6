#include "tokenizer/bpe_merges.h"

#include <algorithm>
#include <queue>

#include "tokenizer/code_points.h"

namespace nt {

BpeRanks::BpeRanks(const std::vector<std::string>& merges) {
  rank_by_pair_.reserve(merges.size());
  for (size_t i = 0; i < merges.size(); ++i) {
    // An entry without a separating space can never be looked up (llama.cpp stores it under an
    // empty pair); the first of duplicate entries keeps its rank.
    if (merges[i].find(' ', 1) == std::string::npos) continue;
    rank_by_pair_.emplace(merges[i], static_cast<int>(i));
  }
}

int BpeRanks::rank(const std::string& left, const std::string& right) const {
  const auto it = rank_by_pair_.find(left + ' ' + right);
  return it == rank_by_pair_.end() ? -1 : it->second;
}

namespace {

struct Symbol {
  int prev;
  int next;
  size_t offset;
  size_t length;  // 0 once merged into its left neighbour
};

struct Bigram {
  int left;
  int right;
  std::string text;  // both sides when proposed; a pair whose sides changed since is stale
  int rank;
};

// Lowest rank first; on a tie, the leftmost pair (llama.cpp's llm_bigram_bpe::comparator).
struct LowerPriority {
  bool operator()(const Bigram& a, const Bigram& b) const {
    return a.rank > b.rank || (a.rank == b.rank && a.left > b.left);
  }
};

class BpeSession {
 public:
  BpeSession(const std::string& word, const BpeRanks& ranks) : word_(word), ranks_(ranks) {}

  std::vector<std::string> run() {
    split_into_characters();
    for (int i = 1; i < static_cast<int>(symbols_.size()); ++i) propose(i - 1, i);
    merge_best_pairs();
    std::vector<std::string> pieces;
    for (const Symbol& s : symbols_) {
      if (s.length > 0) pieces.push_back(word_.substr(s.offset, s.length));
    }
    return pieces;
  }

 private:
  std::string text_of(int i) const { return word_.substr(symbols_[i].offset, symbols_[i].length); }

  void split_into_characters() {
    size_t offset = 0;
    while (offset < word_.size()) {
      const size_t length = std::min(utf8_sequence_length(static_cast<uint8_t>(word_[offset])), word_.size() - offset);
      const int index = static_cast<int>(symbols_.size());
      symbols_.push_back({index - 1, offset + length == word_.size() ? -1 : index + 1, offset, length});
      offset += length;
    }
  }

  void propose(int left, int right) {
    if (left == -1 || right == -1) return;
    const std::string left_text = text_of(left);
    const std::string right_text = text_of(right);
    const int rank = ranks_.rank(left_text, right_text);
    if (rank < 0) return;
    queue_.push({left, right, left_text + right_text, rank});
  }

  void merge_best_pairs() {
    while (!queue_.empty()) {
      const Bigram bigram = queue_.top();
      queue_.pop();
      Symbol& left = symbols_[bigram.left];
      Symbol& right = symbols_[bigram.right];
      if (left.length == 0 || right.length == 0) continue;
      if (text_of(bigram.left) + text_of(bigram.right) != bigram.text) continue;
      left.length += right.length;
      right.length = 0;
      left.next = right.next;
      if (right.next >= 0) symbols_[right.next].prev = bigram.left;
      propose(left.prev, bigram.left);
      propose(bigram.left, left.next);
    }
  }

  const std::string& word_;
  const BpeRanks& ranks_;
  std::vector<Symbol> symbols_;
  std::priority_queue<Bigram, std::vector<Bigram>, LowerPriority> queue_;
};

}  // namespace

std::vector<std::string> merge_word(const std::string& word, const BpeRanks& ranks) {
  return BpeSession(word, ranks).run();
}

}  // namespace nt
