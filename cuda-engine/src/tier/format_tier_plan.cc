// The plan as the table printed on load and by `ntctl status`.
#include "core/bytes_text.h"
#include "core/printf_text.h"
#include "tier/tier_plan.h"

namespace nt {

namespace {

// "A", "B+C", "A+B+C" ...; "-" for a row without bytes.
std::string tier_mix(const TierBytes& b) {
  std::string mix;
  for (Tier t : {Tier::A, Tier::B, Tier::C}) {
    if (b.of(t) == 0) continue;
    if (!mix.empty()) mix += "+";
    mix += tier_name(t);
  }
  return mix.empty() ? "-" : mix;
}

std::string row_line(const std::string& name, const std::string& mix, const TierBytes& b,
                     const std::string& ms) {
  return printf_text("%-20s %-6s %12s %12s %12s %10s\n", name.c_str(), mix.c_str(),
                     bytes_text(b.a).c_str(), bytes_text(b.b).c_str(), bytes_text(b.c).c_str(),
                     ms.c_str());
}

std::string header(const TierPlan& p) {
  const uint64_t slots = static_cast<uint64_t>(p.staging_slots);
  return printf_text("VRAM   %s of %s: KV cache %s, activations %s, %d slots x %s, tier A %s\n",
                     bytes_text(p.vram_used).c_str(), bytes_text(p.vram_budget).c_str(),
                     bytes_text(p.kv_bytes).c_str(), bytes_text(p.activation_bytes).c_str(),
                     p.staging_slots, bytes_text(p.vram_slot_bytes).c_str(),
                     bytes_text(p.vram_used - p.kv_bytes - p.activation_bytes -
                                slots * p.vram_slot_bytes).c_str()) +
         printf_text("pinned %s of %s: host-only %s, tier B %s, %d staging x %s\n",
                     bytes_text(p.pinned_used).c_str(), bytes_text(p.pinned_budget).c_str(),
                     bytes_text(p.host_only_bytes).c_str(),
                     bytes_text(p.totals.b - p.host_only_bytes).c_str(), p.staging_slots,
                     bytes_text(p.pinned_slot_bytes).c_str());
}

// Host-only tensors (the token embedding) are listed but cost nothing per pass: one row per token.
std::string host_only_lines(const TierPlan& p) {
  std::string text;
  for (const TensorPlacement& t : p.tensors) {
    if (t.per_pass) continue;
    TierBytes b;
    b.add(t.tier, t.bytes);
    text += row_line(t.name, "B/host", b, "per token");
  }
  return text;
}

std::string footer(const TierPlan& p) {
  const PassTime& t = p.pass;
  return printf_text("pass: %.3f ms = max(compute/VRAM %.3f, H2D %.3f, storage %.3f) — the stages "
                     "overlap, so rows do not add up\n",
                     t.ms(), t.vram_ms, t.h2d_ms, t.storage_ms) +
         printf_text("bound: tok/s <= %.2f (S = %s streamed per token; B_vram %.1f, B_h2d %.1f, "
                     "B_storage %.1f GB/s)\n",
                     p.bound_tok_s, bytes_text(p.streamed_bytes).c_str(), p.links.vram_gbps,
                     p.links.h2d_gbps, p.links.storage_gbps);
}

}  // namespace

std::string format_tier_plan(const TierPlan& plan) {
  std::string text = header(plan);
  text += printf_text("%-20s %-6s %12s %12s %12s %10s\n", "row", "tiers", "A", "B", "C", "ms/pass");
  text += host_only_lines(plan);
  for (const PlanRow& row : plan.rows) {
    text += row_line(row.name, tier_mix(row.bytes), row.bytes, printf_text("%.3f", row.time.ms()));
  }
  text += row_line("total", tier_mix(plan.totals), plan.totals, printf_text("%.3f", plan.pass.ms()));
  return text + footer(plan);
}

}  // namespace nt
