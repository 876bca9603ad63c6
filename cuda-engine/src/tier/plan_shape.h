// The planner's working model of a model's tensors (tier/plan_tiers.cc explains it): units that
// move between tiers together, the groups the streamer moves into one slot, and a tier per unit,
// with the byte sums both halves of the planner (the A/B/C choice and the tier-D assignment,
// tier/assign_dual.h) read. Internal to the planner.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "tier/tier_plan.h"

namespace nt::plan {

struct Unit {
  std::vector<size_t> tensors;  // indices into the input's tensors
  uint64_t bytes = 0;
  size_t group = 0;
};

struct Group {
  std::string name;
  int32_t layer = -1;
  uint64_t bytes = 0;
};

struct Shape {
  std::vector<Unit> units;  // in priority order
  std::vector<Group> groups;
  std::vector<size_t> host_only;
  uint64_t host_only_bytes = 0;
};

using Tiers = std::vector<Tier>;  // one per unit

// Units and groups of the input's per-pass tensors, units in priority order (smallest first);
// tensors not read per pass are host-only.
Shape make_shape(const TierPlanInput& in);

// Tier D is tier B to the streamer: its blocks live in pinned RAM and are copied to the device
// in the passes that do not compute them on the CPU (tier_plan.h), so the VRAM slots hold them.
Tier as_streamed(Tier tier);

// Bytes per group of the units still below `to` (the part the streamer must move for that ring).
std::vector<uint64_t> streamed_per_group(const Shape& s, const Tiers& tiers, Tier to);

// The largest streamed group: (bytes, index), or (0, SIZE_MAX) when nothing streams.
std::pair<uint64_t, size_t> largest_streamed(const Shape& s, const Tiers& tiers, Tier to);

// Per-pass bytes in each tier.
TierBytes per_pass_totals(const Shape& s, const Tiers& tiers);

// Throws NT_E_OUT_OF_MEMORY with `message`: a budget refusal.
[[noreturn]] void out_of_memory(const std::string& message);

}  // namespace nt::plan
