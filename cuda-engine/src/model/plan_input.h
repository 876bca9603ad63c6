// What the tier planner is asked about a model: its tensors (bytes, layer, read every pass or
// not) and what is budgeted before any weight — KV caches, activations, the staging ring.
#pragma once

#include <cstdint>

#include "backend/hparams.h"
#include "gguf/ggml_type.h"
#include "model/weights.h"
#include "tier/tier_plan.h"

namespace nt {

struct PlanBudgets {
  uint64_t vram = 0;    // resolved budgets in bytes (defaults already applied)
  uint64_t pinned = 0;
  int32_t n_ctx = 0;
  int32_t kv_blocks = 0;  // the KV pool (backend/kv_pool.h), shared by all sequences
  int64_t kv_positions = 0;  // what the pool was asked to hold: kvSize, else n_ctx × n_sequences
  int32_t n_sequences = 1;   // sequences served at once
  GgmlType kv_type = GgmlType::F32;
  int32_t n_batch = 512;
  int32_t staging_slots = kMinStagingSlots;
};

// The token embedding needs one row per token and RoPE tables are built on the host: both stay in
// host memory whatever the budgets. (A tied head, "output", reads the embedding every pass.)
bool is_host_only(const BoundTensor& tensor);

TierPlanInput plan_input(const BoundWeights& weights, const Hparams& h, const PlanBudgets& budgets,
                         const LinkSpeeds& links);

// Bytes the streamer may add to one slot beyond the planner's group bytes: per-tensor alignment
// in device slots and the rounding of storage reads out to whole blocks.
constexpr uint64_t kSlotSlackBytes = 1ull << 20;

}  // namespace nt
