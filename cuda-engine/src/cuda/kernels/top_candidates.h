// nt::top_candidates (sample/top_candidates.h) on the GPU, for every row of a pass's logits at
// once, so that only k (id, logit) pairs and one float per row cross to the host instead of the
// whole vocabulary.
#pragma once

#include <cuda_runtime_api.h>

#include <cstdint>

#include "sample/top_candidates.h"

namespace nt::cuda {

// The largest vocabulary top_candidates() handles (128 segments of at most 8192 logits).
constexpr int64_t kTopCandidatesMaxVocab = int64_t{128} * 8192;

// Floats of scratch top_candidates() needs for `rows` rows of n_vocab logits.
int64_t top_candidates_scratch_floats(int64_t rows, int64_t n_vocab);

// logits: rows × n_vocab (device). Writes each row's first k candidates in ranks_before order
// (logit descending, ties by id, NaN after -inf) to top[row * k .. row * k + k) and its
// log-sum-exp to log_sum_exp[row]: ids and logits exactly those of the CPU reference, the
// log-sum-exp within float rounding (its sum adds in another order). 1 <= k <= min(n_vocab,
// kMaxTopCandidates); scratch: top_candidates_scratch_floats(rows, n_vocab) floats. Neither
// allocates nor synchronises (it may be captured in a CUDA graph). Throws NT_E_INTERNAL for a
// bad k and NT_E_UNSUPPORTED for n_vocab > kTopCandidatesMaxVocab.
void top_candidates(const float* logits, int64_t rows, int64_t n_vocab, int32_t k, float* scratch, Candidate* top,
                    float* log_sum_exp, cudaStream_t stream);

}  // namespace nt::cuda
