// The planner's second half: after the A/B/C choice (tier/plan_tiers.cc), which blocks the CPU
// computes in place (tier D, the dual path): the cost model's choice (tier/dual_split.h) within
// what the pinned budget leaves for their host keys and values, or a forced pattern, checked.
#pragma once

#include <string>

#include "tier/plan_shape.h"
#include "tier/tier_plan.h"

namespace nt::plan {

// Moves the blocks the CPU computes to tier D: the forced pattern's, or the cost model's choice
// within what the pinned budget leaves for their host keys and values. A forced block that was
// not in pinned RAM must fit what the pinned budget has left. Throws NT_E_OUT_OF_MEMORY when the
// budgets cannot hold the split, NT_E_BAD_REQUEST for a pattern of the wrong length.
void assign_dual(const TierPlanInput& in, const Shape& s, Tiers& tiers);

// The layers as letters: G on the compute device, C on the CPU (tier D).
std::string pattern_of(const Shape& s, const Tiers& tiers);

}  // namespace nt::plan
