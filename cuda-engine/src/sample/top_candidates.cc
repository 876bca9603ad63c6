#include "sample/top_candidates.h"

#include <algorithm>
#include <cmath>
#include <limits>

namespace nt {

TopCandidates top_candidates(const float* logits, int32_t n_vocab, int32_t k) {
  TopCandidates out;
  if (n_vocab <= 0) return out;
  std::vector<Candidate> all(static_cast<size_t>(n_vocab));
  for (int32_t i = 0; i < n_vocab; ++i) all[i] = {i, logits[i]};
  const size_t keep = static_cast<size_t>(std::clamp(k, 1, n_vocab));  // the max is needed even for k = 0
  std::partial_sort(all.begin(), all.begin() + static_cast<std::ptrdiff_t>(keep), all.end(), ranks_before);
  const float max_logit = all.front().logit;
  if (max_logit == -std::numeric_limits<float>::infinity()) {
    out.log_sum_exp = max_logit;  // exp(-inf - -inf) would be NaN
  } else {
    double sum = 0.0;
    for (int32_t i = 0; i < n_vocab; ++i) sum += std::exp(static_cast<double>(logits[i] - max_logit));
    out.log_sum_exp = static_cast<float>(max_logit + std::log(sum));
  }
  out.top.assign(all.begin(), all.begin() + static_cast<std::ptrdiff_t>(k <= 0 ? 0 : keep));
  return out;
}

}  // namespace nt
