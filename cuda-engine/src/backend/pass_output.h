// What a forward pass hands back for the tokens that want logits: all n_vocab logits of each, or
// only each row's top candidates and log-sum-exp (sample/top_candidates.h), which is all a
// greedy or top-k sampler needs and spares the device-to-host copy of the whole vocabulary.
#pragma once

#include <cstdint>
#include <vector>

#include "sample/top_candidates.h"

namespace nt {

struct PassOutput {
  // 0: `logits` holds n_vocab floats per row that wants logits, in batch order. > 0: `rows` holds
  // one TopCandidates per such row, in batch order, with this many candidates each (`logits` may
  // be left empty).
  int32_t candidates = 0;
  std::vector<float> logits;
  std::vector<TopCandidates> rows;
};

}  // namespace nt
