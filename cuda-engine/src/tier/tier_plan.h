// The tier planner of DESIGN §2: which tensors stay in VRAM (A), which live in pinned host RAM
// and are copied to the GPU every pass (B), which are read from storage every pass (C), and
// which blocks live in pinned host RAM and are computed there by the CPU (D, the dual path).
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
//
// The dual path (tier D): a non-resident block may instead be computed by the CPU backend from
// its pinned copy. A pass is sequential through its layers, so the CPU's time adds to the compute
// chain, but the link keeps copying the next GPU blocks meanwhile (the ring runs ahead):
//   cpu_ms     = bytes in D × t_cpu(batch)       (t_cpu: seconds per weight byte of the CPU's
//                                                products, measured at batch 1 and at a larger
//                                                batch, linear in between and beyond)
//   switch_ms  = switches × the cost of one      (activations cross PCIe, the GPU stream syncs)
//   pass ms    = max(vram_ms + cpu_ms + switch_ms, h2d_ms, storage_ms)
// With D non-empty both sides read DRAM at once, so h2d_ms and cpu_ms use the rates measured
// together (DRAM contention). Best case: streamed bytes / (B_h2d + B_cpu). At large batches the
// CPU's compute, not its bandwidth, binds: t_cpu grows and the split falls back to no D.
//
// Per pass (dual_split.h, choose_pass): the split is chosen for the decode batch, but a pass's
// cost depends on its token count — a 512-token prefill on the CPU's layers is compute-bound and
// slow. Both layouts stay valid at once: tier-D blocks live in pinned RAM, where the CPU reads
// them, and the streamer can copy them from there like tier B (the VRAM slots are sized for them
// too). Each pass takes the layout the cost model predicts faster for its tokens.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace nt {

enum class Tier : uint8_t { A, B, C, D };

const char* tier_name(Tier tier);  // "A", "B", "C", "D"

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

// What the dual path was asked for: never, when the planner predicts it pays, or always (the
// best split that has at least one CPU block, for measuring it).
enum class DualPathMode : uint8_t { Off, Auto, On };

const char* dual_path_mode_name(DualPathMode mode);  // "off", "auto", "on"

// The dual path's calibration (stream/measure_dual.h), in GB/s of weight bytes the CPU backend's
// products read, and of H2D copies. 0: not measured.
struct CpuRates {
  double cpu_gbps = 0;           // CPU products at batch 1, alone
  double cpu_batch_gbps = 0;     // at `batch` tokens per pass, alone
  int32_t batch = 0;             // > 1 when cpu_batch_gbps was measured
  double h2d_together_gbps = 0;  // H2D copies while the CPU computes
  double cpu_together_gbps = 0;  // the CPU's batch-1 products while copies run
};

struct DualPathInput {
  DualPathMode mode = DualPathMode::Off;
  CpuRates rates;
  int32_t batch = 1;        // tokens per pass the split is chosen for (the decode batch)
  double switch_ms = 0.05;  // one G↔C switch: a stream sync and two copies of kilobytes
  // Forced split, one character per layer: 'G' (the compute device) or 'C' (the CPU, tier D).
  // Empty: the planner chooses. For tests and benches: every layer marked C becomes tier D
  // whatever it would have been, within the pinned budget.
  std::string pattern;
  // Forced per-pass choice (tests, benches): passes of at most this many tokens take the split,
  // larger ones stream every block. 0: auto chooses by the cost model; on, and a forced pattern
  // without measured rates, take the split every pass.
  int32_t split_tokens = 0;
};

// The staging ring's least size: one buffer being read, one being copied, one being computed on
// (DESIGN §2). The one place the engine checks it is the planner (check_input in plan_tiers.cc).
constexpr int32_t kMinStagingSlots = 3;

struct TierPlanInput {
  std::vector<TierTensor> tensors;
  uint64_t vram_budget = 0;    // the budgets as given (or resolved): the plan reports these
  uint64_t pinned_budget = 0;
  uint64_t kv_bytes_per_sequence = 0;  // budgeted first, in VRAM
  uint64_t kv_bytes_per_layer = 0;     // one layer's keys and values in the whole pool: what a
                                       // tier-D layer's host copy costs the pinned budget
  int32_t n_sequences = 1;
  // What the KV cache holds, in the user's terms, for a budget refusal ("4 sequences × 2048
  // positions, f16"); empty: the message says n_sequences × kv_bytes_per_sequence.
  std::string kv_shape;
  uint64_t activation_bytes = 0;       // activations and scratch, budgeted first, in VRAM
  int32_t staging_slots = kMinStagingSlots;  // N >= kMinStagingSlots: the ring of DESIGN §2
  uint64_t slot_slack_bytes = 0;       // per slot, taken off both budgets beyond its group bytes
  LinkSpeeds links;
  DualPathInput dual;
};

struct TierBytes {
  uint64_t a = 0, b = 0, c = 0, d = 0;
  uint64_t of(Tier tier) const;
  void add(Tier tier, uint64_t bytes);
};

// Milliseconds per pass on each link; the pass takes the slowest (the stages overlap). The CPU's
// share and the switches add to the compute chain (the layers run one after another).
struct PassTime {
  double vram_ms = 0, h2d_ms = 0, storage_ms = 0;
  double cpu_ms = 0, switch_ms = 0;
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
  uint64_t pinned_used = 0;  // tier B (with host-only tensors) + tier D + pinned staging + host KV
  uint64_t host_kv_bytes = 0;  // the tier-D layers' keys and values in host memory (the CPU's side)

  LinkSpeeds links;
  PassTime pass;             // the whole pass
  double bound_tok_s = 0;    // 1000 / pass.ms(); 0 when the plan has no per-pass bytes

  // The dual path: who computes each layer ('G' the compute device, 'C' the CPU: tier D), the
  // rates and batch the split was chosen with, its switches, and the pass without any tier D.
  DualPathMode dual_mode = DualPathMode::Off;
  std::string layer_pattern;  // one character per layer; all 'G' without tier D
  CpuRates cpu_rates;
  int32_t dual_batch = 1;
  int32_t switches = 0;
  double streaming_ms = 0;    // the same plan with every D block streamed (tier B) instead
  TierBytes pass_bytes;       // per-pass bytes of the dual layout (tier D the CPU's)
  double switch_ms = 0;       // one G↔C switch, as planned
  int32_t split_tokens = 0;   // DualPathInput::split_tokens
  bool has_cpu_layers() const { return totals.d > 0; }
  double dual_bound_gbps() const;  // B_h2d + B_cpu measured together; 0 when unmeasured
};

// Chooses a tier per tensor. Throws EngineError NT_E_OUT_OF_MEMORY naming what does not fit
// when even the mandatory items (KV cache, activations, staging, host-only tensors) exceed a
// budget, and NT_E_BAD_REQUEST for impossible inputs (fewer than 3 slots, a link speed <= 0, a
// dual-path pattern that is not one G or C per layer, a dual path without measured rates).
TierPlan plan_tiers(const TierPlanInput& input);

// The plan as a table: one row per non-layer tensor and per layer (tier mix, bytes per tier,
// expected ms per pass), the totals, the budgets and the tok/s bound.
std::string format_tier_plan(const TierPlan& plan);

}  // namespace nt
