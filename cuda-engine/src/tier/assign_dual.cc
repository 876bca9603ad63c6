#include "tier/assign_dual.h"

#include <algorithm>
#include <cstdint>
#include <vector>

#include "core/bytes_text.h"
#include "core/engine_error.h"
#include "tier/dual_split.h"

namespace nt::plan {

namespace {

// Per layer (index = layer) the bytes the A/B/C choice placed, and the per-pass bytes outside
// the layers.
std::vector<TierBytes> layer_bytes(const Shape& s, const Tiers& tiers, TierBytes& rest) {
  std::vector<TierBytes> layers;
  for (size_t u = 0; u < s.units.size(); ++u) {
    const int32_t layer = s.groups[s.units[u].group].layer;
    if (layer < 0) {
      rest.add(tiers[u], s.units[u].bytes);
      continue;
    }
    if (layers.size() <= static_cast<size_t>(layer)) layers.resize(static_cast<size_t>(layer) + 1);
    layers[static_cast<size_t>(layer)].add(tiers[u], s.units[u].bytes);
  }
  return layers;
}

// Pinned bytes of a plan: tier B and D with the host-only tensors, the staging ring with its
// slack, and the tier-D layers' host keys and values.
uint64_t pinned_need(const TierPlanInput& in, const Shape& s, const Tiers& tiers, size_t cpu_layers) {
  const TierBytes t = per_pass_totals(s, tiers);
  const uint64_t slots = static_cast<uint64_t>(in.staging_slots);
  return t.b + t.d + s.host_only_bytes + slots * (largest_streamed(s, tiers, Tier::B).first + in.slot_slack_bytes) +
         cpu_layers * in.kv_bytes_per_layer;
}

// How many tier-D layers' host keys and values the pinned budget has room for beside the plan.
size_t host_kv_room(const TierPlanInput& in, const Shape& s, const Tiers& tiers) {
  if (in.kv_bytes_per_layer == 0) return SIZE_MAX;
  const uint64_t used = pinned_need(in, s, tiers, 0);
  return used >= in.pinned_budget ? 0 : static_cast<size_t>((in.pinned_budget - used) / in.kv_bytes_per_layer);
}

[[noreturn]] void no_room_for_host_kv(const TierPlanInput& in, uint64_t weights, size_t cpu_layers) {
  const uint64_t kv = cpu_layers * in.kv_bytes_per_layer;
  out_of_memory("pinnedBudget " + bytes_text(in.pinned_budget) + " is too small for the dual path: " +
                std::to_string(cpu_layers) + " tier-D layers need " + bytes_text(kv) +
                " of host keys and values beside " + bytes_text(weights) +
                " of pinned weights and staging; use at least " + bytes_text(weights + kv) +
                " or fewer CPU layers (--dual-path off streams them all)");
}

// A forced block that was resident needs a VRAM slot in the passes that stream it.
void check_forced_vram(const TierPlanInput& in, const Shape& s, const Tiers& tiers) {
  const uint64_t slots = static_cast<uint64_t>(in.staging_slots);
  const uint64_t vram = in.kv_bytes_per_sequence * static_cast<uint64_t>(in.n_sequences) + in.activation_bytes +
                        slots * (largest_streamed(s, tiers, Tier::A).first + in.slot_slack_bytes) +
                        per_pass_totals(s, tiers).a;
  if (vram > in.vram_budget) {
    out_of_memory("vramBudget " + bytes_text(in.vram_budget) + " is too small for the forced tier-D blocks: " +
                  "the passes that stream them need " + bytes_text(vram) + " with their VRAM slots");
  }
}

}  // namespace

void assign_dual(const TierPlanInput& in, const Shape& s, Tiers& tiers) {
  TierBytes rest;
  const std::vector<TierBytes> layers = layer_bytes(s, tiers, rest);
  std::vector<bool> cpu;
  const bool forced = !in.dual.pattern.empty();
  if (!forced) {
    const size_t room = host_kv_room(in, s, tiers);
    if (in.dual.mode == DualPathMode::On && room == 0) no_room_for_host_kv(in, pinned_need(in, s, tiers, 0), 1);
    cpu = choose_dual_split(layers, rest, in.dual, in.links, room);
  } else if (in.dual.pattern.size() != layers.size()) {
    throw EngineError(NT_E_BAD_REQUEST, "the dual-path layer pattern has " + std::to_string(in.dual.pattern.size()) +
                                            " letters for " + std::to_string(layers.size()) + " layers");
  } else {
    for (char c : in.dual.pattern) cpu.push_back(c == 'C');
  }
  uint64_t pinned_more = 0;
  for (size_t u = 0; u < s.units.size(); ++u) {
    const int32_t layer = s.groups[s.units[u].group].layer;
    if (layer < 0 || !cpu[static_cast<size_t>(layer)]) continue;
    if (tiers[u] != Tier::B) pinned_more += s.units[u].bytes;
    tiers[u] = Tier::D;
  }
  const uint64_t weights = pinned_need(in, s, tiers, 0);
  if (pinned_more > 0 && weights > in.pinned_budget) {
    out_of_memory("pinned budget " + bytes_text(in.pinned_budget) + " is too small for the forced tier-D blocks (" +
                  bytes_text(weights) + " in pinned RAM with tier B, the host-resident tensors and staging)");
  }
  const auto cpu_layers = static_cast<size_t>(std::count(cpu.begin(), cpu.end(), true));
  if (pinned_need(in, s, tiers, cpu_layers) > in.pinned_budget) no_room_for_host_kv(in, weights, cpu_layers);
  if (forced) check_forced_vram(in, s, tiers);
}

std::string pattern_of(const Shape& s, const Tiers& tiers) {
  std::string pattern;
  for (const Group& g : s.groups) {
    if (g.layer >= 0) pattern += 'G';
  }
  for (size_t u = 0; u < s.units.size(); ++u) {
    const int32_t layer = s.groups[s.units[u].group].layer;
    if (layer >= 0 && tiers[u] == Tier::D) pattern[static_cast<size_t>(layer)] = 'C';
  }
  return pattern;
}

}  // namespace nt::plan
