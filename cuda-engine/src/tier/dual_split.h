// The dual path's half of the planner (tier_plan.h has the cost model): the pass time of a split
// and the choice of which non-resident blocks the CPU computes (tier D).
#pragma once

#include <cstdint>
#include <vector>

#include "tier/tier_plan.h"

namespace nt {

// The pass time of per-pass bytes with `switches` G↔C switches (tier D's bytes in b.d).
PassTime dual_pass_time(const TierBytes& b, int32_t switches, const DualPathInput& dual, const LinkSpeeds& links);

// Switches in a pass that runs the layers in order (true: on the CPU) and then the output head
// on the compute device.
int32_t count_switches(const std::vector<bool>& cpu);

// The k of m candidates spread evenly: the i-th at floor((i + 1/2) m / k), so that k = m/2
// alternates and a small k leaves long GPU runs between CPU blocks.
std::vector<size_t> spread(size_t k, size_t m);

// Which layers the CPU computes, given each layer's bytes as the A/B/C choice placed them and the
// per-pass bytes outside the layers. Candidates are blocks whose body is in pinned RAM (tier B:
// no storage read, nothing to copy to make them CPU-readable); at most max_blocks of them (what
// the pinned budget leaves for their host keys and values). Auto keeps the split with the
// shortest predicted pass, none included; On the shortest with at least one CPU block. A forced
// pattern is taken as it is (checked by the caller).
std::vector<bool> choose_dual_split(const std::vector<TierBytes>& layers, const TierBytes& rest,
                                    const DualPathInput& dual, const LinkSpeeds& links, size_t max_blocks);

// The layout one pass of `tokens` tokens takes: the plan's dual split (tier D on the CPU) or every
// non-resident block streamed, whichever the cost model predicts shorter for that token count
// (the CPU's rate at 1 and at the calibrated batch, linear beyond: its compute rate). Ties and
// plans without tier D stream. Only `auto` with calibrated rates chooses: `on` (for measuring the
// split) and a forced pattern without rates (tests) take the split every pass; a forced
// split_tokens overrides the cost model. The predictions of both come with the choice.
struct PassChoice {
  bool dual = false;
  double dual_ms = 0;       // the split's pass at `tokens`; the streaming pass without tier D
  double streaming_ms = 0;  // every tier-D block copied to the device like tier B
};
PassChoice choose_pass(const TierPlan& plan, int32_t tokens);

// The most tokens a pass may carry and still take the dual split (0: none, as without tier D).
int32_t dual_max_tokens(const TierPlan& plan);

// Whether the plan chooses per pass (tier D, and auto with calibrated rates or a forced split_tokens).
bool chooses_per_pass(const TierPlan& plan);

}  // namespace nt
