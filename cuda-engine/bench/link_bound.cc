#include "link_bound.h"

namespace nt::bench {

namespace {

double rescale(double ms, double old_gbps, double new_gbps) {
  if (old_gbps <= 0 || new_gbps <= 0) return ms;
  return ms * old_gbps / new_gbps;
}

}  // namespace

PassTime pass_under_links(const TierPlan& plan, const LinkSpeeds& links) {
  PassTime t;
  t.vram_ms = rescale(plan.pass.vram_ms, plan.links.vram_gbps, links.vram_gbps);
  t.h2d_ms = rescale(plan.pass.h2d_ms, plan.links.h2d_gbps, links.h2d_gbps);
  t.storage_ms = rescale(plan.pass.storage_ms, plan.links.storage_gbps, links.storage_gbps);
  t.cpu_ms = plan.pass.cpu_ms;  // the CPU's share is calibrated, not a link nt-bench re-measures
  t.switch_ms = plan.pass.switch_ms;
  return t;
}

double dual_bound_tok_s(const TierPlan& plan) {
  const double bytes = static_cast<double>(plan.streamed_bytes + plan.totals.d);
  const double gbps = plan.dual_bound_gbps();
  return bytes > 0 && gbps > 0 ? gbps * 1e9 / bytes : 0;
}

double kv_read_ms(double positions, uint64_t bytes_per_position, double vram_gbps) {
  if (!(vram_gbps > 0) || positions <= 0) return 0;
  return positions * static_cast<double>(bytes_per_position) / (vram_gbps * 1e6);
}

double decode_bound_tok_s(const PassTime& pass) {
  const double ms = pass.ms();
  return ms > 0 ? 1000.0 / ms : 0;
}

}  // namespace nt::bench
