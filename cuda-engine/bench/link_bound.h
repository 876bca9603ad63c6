// The bounds of DESIGN §3 under a given set of link speeds. The planner computed its pass time
// with the links measured at load; when nt-bench re-measures them, each stage's time scales by
// old speed / new speed (the bytes on each link do not change), so the planner's cost model is
// reused rather than restated here.
#pragma once

#include "tier/tier_plan.h"

namespace nt::bench {

// The plan's pass time with `links` in place of plan.links. A link the plan has no figure for
// (0) keeps the plan's time for that stage.
PassTime pass_under_links(const TierPlan& plan, const LinkSpeeds& links);

// Tokens per second of one-token passes: 1000 / pass ms; 0 when the pass moves no bytes.
double decode_bound_tok_s(const PassTime& pass);

// Milliseconds a pass spends reading the keys and values of `positions` cached positions
// (bytes_per_position: every layer's K and V rows in the cache's type) at vram_gbps; 0 without a
// VRAM figure. A test at depth d adds it to the pass's VRAM time (bench README, "The bound").
double kv_read_ms(double positions, uint64_t bytes_per_position, double vram_gbps);

// The dual path's bound (issue 13): the link and the CPU each reading DRAM at the rates measured
// together, over every non-resident byte (tiers B, C and D) of a pass:
// tok/s <= (B_h2d + B_cpu together) / (bytes in B + C + D). 0 without calibration or such bytes.
double dual_bound_tok_s(const TierPlan& plan);

}  // namespace nt::bench
