#pragma once

#include <vector>

#include "backend/batch.h"
#include "backend/hparams.h"
#include "backend/op_profile.h"
#include "backend/pass_segment.h"
#include "backend/rope_table.h"
#include "backend/weight_source.h"
#include "cpu/thread_pool.h"

namespace nt {

// Buffers reused from pass to pass, sized for the largest batch seen.
struct ForwardScratch {
  std::vector<float> x, xb, q, k, v, att, ffn_gate, ffn_up, logits_in;
  std::vector<float> scores;  // per worker: one row of attention scores
  RopeTable rope;             // the current token's rotation, shared by its query and key heads
};

// One forward pass of a llama-family transformer (llama, and qwen2 — the same graph with QKV
// biases and NEOX rope) over a batch, on the CPU. Writes each token's keys and values into its
// cache and, for the tokens that want them, n_vocab logits each into `logits`, in batch order.
// Weights come through `w`, layer by layer (streamed ones are only valid between begin and end).
void llama_forward(const Hparams& h, WeightSource& w, const Batch& batch, ForwardScratch& s, cpu::ThreadPool& pool,
                   std::vector<float>& logits);

// The same for a part of the pass (backend/pass_segment.h); logits are written only with the head.
// With a profile, each op's host time is added to it (backend/op_profile.h).
void llama_forward_segment(const Hparams& h, WeightSource& w, const Batch& batch, const PassSegment& segment,
                           ForwardScratch& s, cpu::ThreadPool& pool, std::vector<float>& logits,
                           OpProfile* profile = nullptr);

}  // namespace nt
