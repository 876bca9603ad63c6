// The tier planner's algorithm. See tier_plan.h for the cost model.
//
// Units: each per-pass tensor outside the blocks (output head, output norm ...) is a unit; inside
// a block, the vectors (norms, biases: tiny next to the block's matrices) are units of their own
// and the block's matrices together are one unit, so blocks move up whole. A group is what the
// streamer moves into one slot: a block, or one non-layer tensor.
//
// Every per-pass byte saves the same time per byte when it moves up a tier (the links are linear),
// so benefit per byte ties everywhere except through staging: the VRAM slot ring is
// N × the largest streamed group, so making the largest group resident can free more VRAM than it
// takes (a 1 GB output head vs 3 × 0.5 GB slots). The planner therefore iterates over the slot
// size: for each candidate cap it forces the groups larger than the cap up, then raises units in
// priority order (smallest first — each streamed piece costs a request and an event that the byte
// model does not count — then by group) while they fit, refilling when the slot shrinks. The same
// is done for pinned RAM, whose staging ring is N × the largest tier-C group. The candidate pair
// with the shortest pass wins.
#include <algorithm>
#include <cmath>
#include <set>

#include "core/bytes_text.h"
#include "core/engine_error.h"
#include "tier/assign_dual.h"
#include "tier/dual_split.h"
#include "tier/plan_shape.h"
#include "tier/tier_plan.h"

namespace nt {

namespace {

using plan::Shape;
using plan::Tiers;
using plan::assign_dual;
using plan::largest_streamed;
using plan::make_shape;
using plan::out_of_memory;
using plan::pattern_of;
using plan::per_pass_totals;
using plan::streamed_per_group;

void check_input(const TierPlanInput& in) {
  auto positive = [](double v) { return std::isfinite(v) && v > 0; };
  if (in.staging_slots < kMinStagingSlots) {
    throw EngineError(NT_E_BAD_REQUEST, "the staging ring needs at least " + std::to_string(kMinStagingSlots) +
                                            " slots, got " + std::to_string(in.staging_slots));
  }
  if (in.n_sequences < 1) {
    throw EngineError(NT_E_BAD_REQUEST, "the plan needs at least one sequence");
  }
  if (!positive(in.links.vram_gbps) || !positive(in.links.h2d_gbps) ||
      !positive(in.links.storage_gbps)) {
    throw EngineError(NT_E_BAD_REQUEST, "link speeds must be positive GB/s");
  }
  const std::string& pattern = in.dual.pattern;
  if (!pattern.empty() && pattern.find_first_not_of("GC") != std::string::npos) {
    throw EngineError(NT_E_BAD_REQUEST, "a dual-path layer pattern holds only G and C, not '" + pattern + "'");
  }
  if (pattern.empty() && in.dual.mode != DualPathMode::Off && !positive(in.dual.rates.cpu_gbps)) {
    throw EngineError(NT_E_BAD_REQUEST, "the dual path needs the CPU's measured product rate");
  }
}

// Raises units below `to` up to `to` within `room` bytes, which must also hold `slots` slots of
// the largest group left below. Groups larger than `cap` go up first, whole. Returns false when
// that forced part and its slots do not fit.
bool raise_units(const Shape& s, Tiers& tiers, Tier to, uint64_t cap, uint64_t room,
                 uint64_t slots) {
  const std::vector<uint64_t> group_bytes = streamed_per_group(s, tiers, to);
  uint64_t used = 0;
  for (size_t u = 0; u < s.units.size(); ++u) {
    if (tiers[u] > to && group_bytes[s.units[u].group] > cap) {
      tiers[u] = to;
      used += s.units[u].bytes;
    }
  }
  uint64_t slot = largest_streamed(s, tiers, to).first;
  for (;;) {
    if (used > room || slots * slot > room - used) return false;
    uint64_t left = room - used - slots * slot;
    for (size_t u = 0; u < s.units.size(); ++u) {
      if (tiers[u] <= to || s.units[u].bytes > left) continue;
      tiers[u] = to;
      left -= s.units[u].bytes;
      used += s.units[u].bytes;
    }
    const uint64_t smaller = largest_streamed(s, tiers, to).first;
    if (smaller == slot) return true;
    slot = smaller;  // the ring shrank: its bytes can hold more units
  }
}

// Candidate slot caps: 0 (nothing streams) and every distinct streamed group size.
std::vector<uint64_t> slot_caps(const Shape& s, const Tiers& tiers, Tier to) {
  std::set<uint64_t> caps{0};
  for (uint64_t bytes : streamed_per_group(s, tiers, to)) caps.insert(bytes);
  return {caps.begin(), caps.end()};
}

PassTime pass_time(const TierBytes& b, const LinkSpeeds& links) {
  return dual_pass_time(b, 0, DualPathInput{}, links);
}

// Shorter pass first; then less from storage, then more resident.
bool better(const TierBytes& x, const TierBytes& y, const LinkSpeeds& links) {
  const double mx = pass_time(x, links).ms(), my = pass_time(y, links).ms();
  if (mx != my) return mx < my;
  if (x.c != y.c) return x.c < y.c;
  return x.a > y.a;
}

struct Budgets {
  uint64_t vram_room = 0;    // after KV cache and activations
  uint64_t pinned_room = 0;  // after host-only tensors
  uint64_t slots = 0;
  uint64_t vram_reserved = 0;    // KV cache, activations and slack, before any weights
  uint64_t pinned_reserved = 0;  // host-only tensors and slack, before any weights
};

// The parts of a budget refusal, each with its size; joined as "a (1 MiB), b (2 MiB) and c (3 MiB)".
std::string parts_text(const std::vector<std::string>& parts) {
  std::string text;
  for (size_t i = 0; i < parts.size(); ++i) text += (i == 0 ? "" : i + 1 == parts.size() ? " and " : ", ") + parts[i];
  return text;
}

// The staging slots' slack, as a part of a refusal; empty when there is none.
std::string slack_part(const TierPlanInput& in) {
  if (in.slot_slack_bytes == 0) return "";
  return "the staging slots' slack (" + std::to_string(in.staging_slots) + " × " + bytes_text(in.slot_slack_bytes) + ")";
}

// Budget refusals name the budget by its protocol field (vramBudget, pinnedBudget), which is also
// the daemon's configuration key; ntctl words it as the flag the user wrote. Each says what the
// budget must hold, with sizes, and a budget that fits with every layer streamed.
[[noreturn]] void budget_too_small(const char* budget, uint64_t given, std::vector<std::string> parts,
                                   uint64_t needed, uint64_t enough) {
  parts.erase(std::remove(parts.begin(), parts.end(), std::string()), parts.end());
  out_of_memory(std::string(budget) + " " + bytes_text(given) + " is too small: " + parts_text(parts) + " need " +
                bytes_text(needed) + " before any weights; use at least " + bytes_text(enough) +
                " (enough with every layer streamed)");
}

// The slots' slack comes off both budgets first; the plan still reports the budgets as given.
Budgets reserve_mandatory(const TierPlanInput& in, const Shape& s) {
  const uint64_t slots = static_cast<uint64_t>(in.staging_slots);
  const uint64_t slack = in.slot_slack_bytes * slots;
  const uint64_t vram = in.vram_budget > slack ? in.vram_budget - slack : 0;
  const uint64_t pinned = in.pinned_budget > slack ? in.pinned_budget - slack : 0;
  const uint64_t kv = in.kv_bytes_per_sequence * static_cast<uint64_t>(in.n_sequences);
  if (kv + in.activation_bytes > vram) {
    const uint64_t needed = kv + in.activation_bytes + slack;
    const Tiers all_b(s.units.size(), Tier::B);
    const std::string kv_parts = !in.kv_shape.empty() ? " for " + in.kv_shape
                                 : in.n_sequences > 1 ? " for " + std::to_string(in.n_sequences) + " sequences × " +
                                                            bytes_text(in.kv_bytes_per_sequence)
                                                      : "";
    budget_too_small("vramBudget", in.vram_budget,
                     {"the KV cache (" + bytes_text(kv) + kv_parts + ")",
                      "the activations (" + bytes_text(in.activation_bytes) + ")", slack_part(in)},
                     needed, needed + slots * largest_streamed(s, all_b, Tier::A).first);
  }
  if (s.host_only_bytes > pinned) {
    const uint64_t needed = s.host_only_bytes + slack;
    const Tiers all_c(s.units.size(), Tier::C);
    budget_too_small("pinnedBudget", in.pinned_budget,
                     {"the host-resident tensors (" + in.tensors[s.host_only.front()].name + ", " +
                          bytes_text(s.host_only_bytes) + ")", slack_part(in)},
                     needed, needed + slots * largest_streamed(s, all_c, Tier::B).first);
  }
  return {vram - kv - in.activation_bytes, pinned - s.host_only_bytes, slots, kv + in.activation_bytes + slack,
          s.host_only_bytes + slack};
}

std::string slots_text(const Shape& s, uint64_t slots, std::pair<uint64_t, size_t> largest) {
  return std::to_string(slots) + " staging slots of " + bytes_text(largest.first) +
         " (the largest streamed group, '" + s.groups[largest.second].name + "')";
}

// The best pinned-RAM split (B vs C) of what tier A leaves; false when none fits.
bool best_host_split(const Shape& s, const Tiers& after_a, const Budgets& budgets,
                     const LinkSpeeds& links, Tiers& best) {
  Tiers start = after_a;
  for (Tier& t : start) t = t == Tier::A ? Tier::A : Tier::C;
  bool found = false;
  for (uint64_t cap : slot_caps(s, start, Tier::B)) {
    Tiers tiers = start;
    if (!raise_units(s, tiers, Tier::B, cap, budgets.pinned_room, budgets.slots)) continue;
    if (!found || better(per_pass_totals(s, tiers), per_pass_totals(s, best), links)) best = tiers;
    found = true;
  }
  return found;
}

Tiers choose_tiers(const TierPlanInput& in, const Shape& s) {
  const Budgets budgets = reserve_mandatory(in, s);
  const Tiers all_b(s.units.size(), Tier::B);
  Tiers best;
  bool vram_fits = false, found = false;
  for (uint64_t cap : slot_caps(s, all_b, Tier::A)) {
    Tiers tiers = all_b;
    if (!raise_units(s, tiers, Tier::A, cap, budgets.vram_room, budgets.slots)) continue;
    vram_fits = true;
    Tiers split;
    if (!best_host_split(s, tiers, budgets, in.links, split)) continue;
    if (!found || better(per_pass_totals(s, split), per_pass_totals(s, best), in.links)) best = split;
    found = true;
  }
  if (!vram_fits) {
    const auto largest = largest_streamed(s, all_b, Tier::A);
    out_of_memory("vramBudget " + bytes_text(in.vram_budget) + " leaves " + bytes_text(budgets.vram_room) +
                  " after the KV cache and activations: too little for " + slots_text(s, budgets.slots, largest) +
                  ", or to hold the larger groups resident; use at least " +
                  bytes_text(budgets.vram_reserved + budgets.slots * largest.first) +
                  " (enough with every layer streamed)");
  }
  if (!found) {
    Tiers all_c(s.units.size(), Tier::C);
    const auto largest = largest_streamed(s, all_c, Tier::B);
    out_of_memory("pinnedBudget " + bytes_text(in.pinned_budget) + " leaves " + bytes_text(budgets.pinned_room) +
                  " after the host-resident tensors: too little for " + slots_text(s, budgets.slots, largest) +
                  " of tier C; use at least " +
                  bytes_text(budgets.pinned_reserved + budgets.slots * largest.first) +
                  " (enough with every layer streamed from storage)");
  }
  return best;
}

std::vector<PlanRow> make_rows(const Shape& s, const Tiers& tiers, const TierPlanInput& in) {
  std::vector<PlanRow> rows(s.groups.size());
  for (size_t g = 0; g < s.groups.size(); ++g) {
    rows[g].name = s.groups[g].name;
    rows[g].layer = s.groups[g].layer;
  }
  for (size_t u = 0; u < s.units.size(); ++u) rows[s.units[u].group].bytes.add(tiers[u], s.units[u].bytes);
  for (PlanRow& row : rows) row.time = dual_pass_time(row.bytes, 0, in.dual, in.links);
  return rows;
}

TierPlan make_plan(const TierPlanInput& in, const Shape& s, const Tiers& tiers) {
  TierPlan plan;
  for (const TierTensor& t : in.tensors) plan.tensors.push_back({t.name, t.layer, t.bytes, t.per_pass, Tier::B});
  for (size_t u = 0; u < s.units.size(); ++u) {
    for (size_t i : s.units[u].tensors) plan.tensors[i].tier = tiers[u];
  }
  for (const TensorPlacement& t : plan.tensors) plan.totals.add(t.tier, t.bytes);
  const TierBytes per_pass = per_pass_totals(s, tiers);
  plan.rows = make_rows(s, tiers, in);
  plan.host_only_bytes = s.host_only_bytes;
  plan.streamed_bytes = per_pass.b + per_pass.c;  // tier D crosses no link: the CPU reads it in place
  plan.kv_bytes = in.kv_bytes_per_sequence * static_cast<uint64_t>(in.n_sequences);
  plan.activation_bytes = in.activation_bytes;
  plan.staging_slots = in.staging_slots;
  plan.vram_slot_bytes = largest_streamed(s, tiers, Tier::A).first;
  plan.pinned_slot_bytes = largest_streamed(s, tiers, Tier::B).first;
  plan.vram_budget = in.vram_budget;
  plan.pinned_budget = in.pinned_budget;
  plan.layer_pattern = pattern_of(s, tiers);
  const uint64_t slots = static_cast<uint64_t>(in.staging_slots);
  plan.vram_used = plan.kv_bytes + plan.activation_bytes + slots * plan.vram_slot_bytes + per_pass.a;
  plan.host_kv_bytes = static_cast<uint64_t>(std::count(plan.layer_pattern.begin(), plan.layer_pattern.end(), 'C')) *
                       in.kv_bytes_per_layer;
  plan.pinned_used = plan.totals.b + plan.totals.d + slots * plan.pinned_slot_bytes + plan.host_kv_bytes;
  plan.links = in.links;
  plan.dual_mode = in.dual.mode;
  plan.cpu_rates = in.dual.rates;
  plan.dual_batch = std::max(1, in.dual.batch);
  std::vector<bool> cpu;
  for (char c : plan.layer_pattern) cpu.push_back(c == 'C');
  plan.switches = per_pass.d > 0 ? count_switches(cpu) : 0;
  plan.pass = dual_pass_time(per_pass, plan.switches, in.dual, in.links);
  plan.pass_bytes = per_pass;
  plan.switch_ms = in.dual.switch_ms;
  plan.split_tokens = std::max(0, in.dual.split_tokens);
  TierBytes streaming = per_pass;  // the passes that stream every non-resident block (dual_split.h)
  streaming.b += streaming.d;
  streaming.d = 0;
  plan.streaming_ms = pass_time(streaming, in.links).ms();
  plan.bound_tok_s = plan.pass.ms() > 0 ? 1000.0 / plan.pass.ms() : 0.0;
  return plan;
}

}  // namespace

const char* tier_name(Tier tier) {
  static const char* const names[] = {"A", "B", "C", "D"};
  return names[static_cast<size_t>(tier)];
}

const char* dual_path_mode_name(DualPathMode mode) {
  return mode == DualPathMode::Off ? "off" : mode == DualPathMode::Auto ? "auto" : "on";
}

uint64_t TierBytes::of(Tier tier) const {
  return tier == Tier::A ? a : tier == Tier::B ? b : tier == Tier::C ? c : d;
}

void TierBytes::add(Tier tier, uint64_t bytes) {
  (tier == Tier::A ? a : tier == Tier::B ? b : tier == Tier::C ? c : d) += bytes;
}

double PassTime::ms() const { return std::max({vram_ms + cpu_ms + switch_ms, h2d_ms, storage_ms}); }

double TierPlan::dual_bound_gbps() const {
  if (!(cpu_rates.h2d_together_gbps > 0) || !(cpu_rates.cpu_together_gbps > 0)) return 0;
  return cpu_rates.h2d_together_gbps + cpu_rates.cpu_together_gbps;
}

uint64_t TierPlan::staging_bytes() const {
  return static_cast<uint64_t>(staging_slots) * (vram_slot_bytes + pinned_slot_bytes);
}

TierPlan plan_tiers(const TierPlanInput& input) {
  check_input(input);
  const Shape shape = make_shape(input);
  Tiers tiers = choose_tiers(input, shape);
  assign_dual(input, shape, tiers);
  return make_plan(input, shape, tiers);
}

}  // namespace nt
