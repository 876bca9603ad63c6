#include "tokenizer/bpe_merges.h"

#include <queue>

#include "tokenizer/symbol_chain.h"

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
  BpeSession(const std::string& word, const BpeRanks& ranks) : chain_(word), ranks_(ranks) {}

  std::vector<std::string> run() {
    for (int i = 1; i < chain_.size(); ++i) propose(i - 1, i);
    merge_best_pairs();
    std::vector<std::string> pieces;
    for (int i = chain_.first(); i != -1; i = chain_.next(i)) pieces.push_back(chain_.text_of(i));
    return pieces;
  }

 private:
  void propose(int left, int right) {
    if (left == -1 || right == -1) return;
    const std::string left_text = chain_.text_of(left);
    const std::string right_text = chain_.text_of(right);
    const int rank = ranks_.rank(left_text, right_text);
    if (rank < 0) return;
    queue_.push({left, right, left_text + right_text, rank});
  }

  void merge_best_pairs() {
    while (!queue_.empty()) {
      const Bigram bigram = queue_.top();
      queue_.pop();
      if (!chain_.alive(bigram.left) || !chain_.alive(bigram.right)) continue;
      if (chain_.text_of_pair(bigram.left, bigram.right) != bigram.text) continue;
      chain_.merge(bigram.left, bigram.right);
      propose(chain_.prev(bigram.left), bigram.left);
      propose(bigram.left, chain_.next(bigram.left));
    }
  }

  SymbolChain chain_;
  const BpeRanks& ranks_;
  std::priority_queue<Bigram, std::vector<Bigram>, LowerPriority> queue_;
};

}  // namespace

std::vector<std::string> merge_word(const std::string& word, const BpeRanks& ranks) {
  return BpeSession(word, ranks).run();
}

}  // namespace nt
