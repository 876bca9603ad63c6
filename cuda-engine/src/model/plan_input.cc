#include "model/plan_input.h"

#include <algorithm>
#include <string>

#include "backend/kv_pool.h"
#include "backend/kv_type.h"

namespace nt {

namespace {

// Bytes a pass keeps on the device (cuda/pass_buffers.cc), per token: the residual stream, normed
// input, q, k, v, attention output, the feed-forward's gate and up rows, one row of logits, and
// the sampling scratch (per 1024 logits, up to 128 segments, a segment's top 64 (id, logit)
// pairs: cuda/kernels/top_candidates.cu); plus the attention's partial results (two chunks per
// head and token of a full batch, and for a single long-context token the 64 per head that
// cuda/pass_buffers.cc allocates).
constexpr uint64_t kDecodeChunksPerHead = 64;

uint64_t activation_bytes(const Hparams& h, int32_t n_vocab, int32_t n_batch) {
  const uint64_t tokens = static_cast<uint64_t>(std::max(1, n_batch));
  const uint64_t head_dim = static_cast<uint32_t>(h.head_dim), heads = static_cast<uint32_t>(h.n_head);
  const uint64_t q = heads * head_dim, vocab = static_cast<uint32_t>(n_vocab);
  const uint64_t per_token_floats = 2ull * static_cast<uint32_t>(h.n_embd) + 2 * q +
                                    2ull * static_cast<uint32_t>(h.n_embd_kv()) + 2ull * static_cast<uint32_t>(h.n_ff) +
                                    vocab;
  const uint64_t sampling_bytes = std::min<uint64_t>(128, (vocab + 1023) / 1024) * (64 * 8 + 8);
  const uint64_t attention_floats = heads * std::max<uint64_t>(2 * tokens, kDecodeChunksPerHead) * (head_dim + 2);
  return (per_token_floats * sizeof(float) + sampling_bytes) * tokens + attention_floats * sizeof(float);
}

// The pool in the user's terms: the default one as the sequences it serves times their context,
// one sized by kvSize as its positions; and the cache's type, which sets the bytes per position.
std::string kv_shape(const PlanBudgets& b) {
  const bool by_context = b.kv_positions == int64_t{b.n_ctx} * b.n_sequences;
  const std::string positions =
      by_context ? std::to_string(b.n_sequences) + (b.n_sequences == 1 ? " sequence × " : " sequences × ") +
                       std::to_string(b.n_ctx) + " positions"
                 : std::to_string(b.kv_positions) + " positions";
  return positions + ", " + kv_type_name(b.kv_type);
}

}  // namespace

bool is_host_only(const BoundTensor& tensor) {
  return tensor.name == "token_embd.weight" || tensor.name == "rope_freqs.weight";
}

TierPlanInput plan_input(const BoundWeights& weights, const Hparams& h, const PlanBudgets& budgets,
                         const LinkSpeeds& links) {
  TierPlanInput in;
  for (const BoundTensor& t : weights.tensors) {
    in.tensors.push_back({t.name, t.info->bytes, t.layer, !is_host_only(t)});
  }
  in.vram_budget = budgets.vram;
  in.pinned_budget = budgets.pinned;
  in.slot_slack_bytes = kSlotSlackBytes;
  // One pool serves every sequence: the planner counts it once.
  in.kv_bytes_per_sequence = 2 * KvPool::side_bytes(budgets.kv_type, h.n_layer, h.n_embd_kv(), budgets.kv_blocks);
  in.kv_bytes_per_layer = 2 * KvPool::side_bytes(budgets.kv_type, 1, h.n_embd_kv(), budgets.kv_blocks);
  in.n_sequences = 1;
  in.kv_shape = kv_shape(budgets);
  in.activation_bytes = activation_bytes(h, weights.views.n_vocab, budgets.n_batch);
  in.staging_slots = budgets.staging_slots;
  in.links = links;
  return in;
}

}  // namespace nt
