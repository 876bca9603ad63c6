// The tier planner of DESIGN §2: which tensors stay in VRAM (A), which live in pinned host RAM
// and are copied to the GPU every pass (B), and which are read from storage every pass (C).
// The planner only decides; it does no I/O and allocates nothing. The streamer moves the bytes
// and the forward pass computes (STYLE.md).
//
// Cost model (why it is a max, not a sum): a streamed pass is a three-stage pipeline — storage
// reads, H2D copies, compute — each on its own thread or stream, overlapping across layers. Its
// steady-state time is the time of the busiest stage:
//   vram_ms    = every per-pass weight byte / B_vram   (decode reads each weight once from VRAM,
//                                                       resident or just copied into a slot)
//   h2d_ms     = (bytes in B + bytes in C) / B_h2d     (tier C crosses PCIe too, after staging)
//   storage_ms = bytes in C / B_storage
//   pass ms    = max(vram_ms, h2d_ms, storage_ms)
// So a tier-C byte costs 1 / min(B_storage, B_h2d) on its own and a tier-B byte 1 / B_h2d, but
// B and C share the PCIe link, which a per-tier sum would miss. Per-layer rows use the same
// formula over the layer's own bytes; the pass total is the max over the summed link times, not
// the sum of the rows (stages overlap). The bound of DESIGN §3 is tok/s ≤ 1000 / pass ms.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace nt {

enum class Tier : uint8_t { A, B, C };

const char* tier_name(Tier tier);  // "A", "B", "C"

// One tensor of the model as the planner sees it.
struct TierTensor {
  std::string name;
  uint64_t bytes = 0;
  int32_t layer = -1;     // block index, -1 for tensors outside the blocks
  bool per_pass = true;   // read whole every pass; false for the token embedding table, which
                          // needs one row per token and so stays in host memory (tier B) always.
                          // A tied output head is read every pass: list it as per_pass.
};

// Measured link speeds in GB/s (1e9 bytes per second).
struct LinkSpeeds {
  double vram_gbps = 0;     // device memory read
  double h2d_gbps = 0;      // pinned host -> device copy
  double storage_gbps = 0;  // O_DIRECT read into pinned memory
};

// The staging ring's least size: one buffer being read, one being copied, one being computed on
// (DESIGN §2). The one place the engine checks it is the planner (check_input in plan_tiers.cc).
constexpr int32_t kMinStagingSlots = 3;

struct TierPlanInput {
  std::vector<TierTensor> tensors;
  uint64_t vram_budget = 0;    // the budgets as given (or resolved): the plan reports these
  uint64_t pinned_budget = 0;
  uint64_t kv_bytes_per_sequence = 0;  // budgeted first, in VRAM
  int32_t n_sequences = 1;
  uint64_t activation_bytes = 0;       // activations and scratch, budgeted first, in VRAM
  int32_t staging_slots = kMinStagingSlots;  // N >= kMinStagingSlots: the ring of DESIGN §2
  uint64_t slot_slack_bytes = 0;       // per slot, taken off both budgets beyond its group bytes
  LinkSpeeds links;
};

struct TierBytes {
  uint64_t a = 0, b = 0, c = 0;
  uint64_t of(Tier tier) const { return tier == Tier::A ? a : tier == Tier::B ? b : c; }
  void add(Tier tier, uint64_t bytes);
};

// Milliseconds per pass on each link; the pass takes the slowest (the stages overlap).
struct PassTime {
  double vram_ms = 0, h2d_ms = 0, storage_ms = 0;
  double ms() const;
};

struct TensorPlacement {
  std::string name;
  int32_t layer = -1;
  uint64_t bytes = 0;
  bool per_pass = true;
  Tier tier = Tier::A;
};

// One row of the plan: a block, or a per-pass tensor outside the blocks (the output head ...).
struct PlanRow {
  std::string name;     // "blk.7", "output", ...
  int32_t layer = -1;
  TierBytes bytes;
  PassTime time;
};

struct TierPlan {
  std::vector<TensorPlacement> tensors;  // in input order
  std::vector<PlanRow> rows;             // non-layer per-pass tensors, then every layer in order
  TierBytes totals;                      // every tensor, host-only ones counted in B
  uint64_t host_only_bytes = 0;          // per_pass == false tensors (token embedding): in B
  uint64_t streamed_bytes = 0;           // S of DESIGN §3: per-pass bytes in B and C

  // What is budgeted before weights.
  uint64_t kv_bytes = 0;
  uint64_t activation_bytes = 0;
  int32_t staging_slots = 0;
  uint64_t vram_slot_bytes = 0;    // one VRAM slot: the largest streamed (B or C) group
  uint64_t pinned_slot_bytes = 0;  // one pinned staging buffer: the largest tier-C group
  uint64_t staging_bytes() const;  // both rings

  uint64_t vram_budget = 0, pinned_budget = 0;
  uint64_t vram_used = 0;    // kv + activations + VRAM slots + tier A
  uint64_t pinned_used = 0;  // tier B (with host-only tensors) + pinned staging

  LinkSpeeds links;
  PassTime pass;             // the whole pass
  double bound_tok_s = 0;    // 1000 / pass.ms(); 0 when the plan has no per-pass bytes
};

// Chooses a tier per tensor. Throws EngineError NT_E_OUT_OF_MEMORY naming what does not fit
// when even the mandatory items (KV cache, activations, staging, host-only tensors) exceed a
// budget, and NT_E_BAD_REQUEST for impossible inputs (fewer than 3 slots, a link speed <= 0).
TierPlan plan_tiers(const TierPlanInput& input);

// The plan as a table: one row per non-layer tensor and per layer (tier mix, bytes per tier,
// expected ms per pass), the totals, the budgets and the tok/s bound.
std::string format_tier_plan(const TierPlan& plan);

}  // namespace nt
