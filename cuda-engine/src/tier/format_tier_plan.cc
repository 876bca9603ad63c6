// The plan as the table printed on load and by `ntctl status`.
#include "core/bytes_text.h"
#include "core/printf_text.h"
#include "tier/dual_split.h"
#include "tier/tier_plan.h"

namespace nt {

namespace {

// "A", "B+C", "A+B+C" ...; "-" for a row without bytes.
std::string tier_mix(const TierBytes& b) {
  std::string mix;
  for (Tier t : {Tier::A, Tier::B, Tier::C, Tier::D}) {
    if (b.of(t) == 0) continue;
    if (!mix.empty()) mix += "+";
    mix += tier_name(t);
  }
  return mix.empty() ? "-" : mix;
}

// The D column only when the plan has CPU blocks: the table of a plan without stays as it was.
std::string row_line(const std::string& name, const std::string& mix, const TierBytes& b,
                     const std::string& ms, bool with_d) {
  return printf_text("%-20s %-6s %12s %12s %12s ", name.c_str(), mix.c_str(), bytes_text(b.a).c_str(),
                     bytes_text(b.b).c_str(), bytes_text(b.c).c_str()) +
         (with_d ? printf_text("%12s ", bytes_text(b.d).c_str()) : std::string()) + printf_text("%10s\n", ms.c_str());
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
                     bytes_text(p.pinned_slot_bytes).c_str()) +
         (p.has_cpu_layers() ? printf_text("       tier D %s (computed by the CPU in place), host KV %s (its layers' "
                                           "keys and values)\n",
                                           bytes_text(p.totals.d).c_str(), bytes_text(p.host_kv_bytes).c_str())
                             : std::string());
}

// Host-only tensors (the token embedding) are listed but cost nothing per pass: one row per token.
std::string host_only_lines(const TierPlan& p) {
  std::string text;
  for (const TensorPlacement& t : p.tensors) {
    if (t.per_pass) continue;
    TierBytes b;
    b.add(t.tier, t.bytes);
    text += row_line(t.name, "B/host", b, "per token", p.has_cpu_layers());
  }
  return text;
}

std::string rate_text(double gbps) { return gbps > 0 ? printf_text("%.1f GB/s", gbps) : std::string("unmeasured"); }

// Which layout a pass takes by its token count (dual_split.h): the predictions at 1 and 512
// tokens and where the choice flips.
std::string per_pass_line(const TierPlan& p) {
  if (!p.has_cpu_layers()) return "";
  if (!chooses_per_pass(p)) return "per pass: every pass takes the split\n";
  const PassChoice one = choose_pass(p, 1), many = choose_pass(p, 512);
  const int32_t most = dual_max_tokens(p);
  if (p.split_tokens > 0) {
    return printf_text("per pass: the split up to %d tokens per pass (forced), streaming beyond\n", most);
  }
  return printf_text("per pass: 1 token: split %.3f ms, streaming %.3f ms; 512 tokens: split %.3f ms, "
                     "streaming %.3f ms; the split up to %d tokens per pass, streaming beyond\n",
                     one.dual_ms, one.streaming_ms, many.dual_ms, many.streaming_ms, most);
}

// The dual path's line: the split, the rates it was chosen with, and what pure streaming would take.
std::string dual_lines(const TierPlan& p) {
  if (p.dual_mode == DualPathMode::Off && !p.has_cpu_layers()) return "";
  const CpuRates& r = p.cpu_rates;
  std::string text = printf_text("dual path %s: layers %s (C: tier D on the CPU), %d switches, batch %d\n",
                                 dual_path_mode_name(p.dual_mode), p.layer_pattern.c_str(), p.switches,
                                 p.dual_batch);
  text += printf_text("calibration: B_cpu %s at batch 1, %s at batch %d; together B_h2d %s + B_cpu %s\n",
                      rate_text(r.cpu_gbps).c_str(), rate_text(r.cpu_batch_gbps).c_str(), r.batch,
                      rate_text(r.h2d_together_gbps).c_str(), rate_text(r.cpu_together_gbps).c_str());
  text += printf_text("predicted: %.3f ms per pass (pure streaming %.3f ms)\n", p.pass.ms(), p.streaming_ms);
  return text + per_pass_line(p);
}

std::string footer(const TierPlan& p) {
  const PassTime& t = p.pass;
  const std::string chain = p.has_cpu_layers() ? printf_text("compute/VRAM %.3f + CPU %.3f + switches %.3f",
                                                             t.vram_ms, t.cpu_ms, t.switch_ms)
                                               : printf_text("compute/VRAM %.3f", t.vram_ms);
  return dual_lines(p) +
         printf_text("pass: %.3f ms = max(%s, H2D %.3f, storage %.3f) — the stages "
                     "overlap, so rows do not add up\n",
                     t.ms(), chain.c_str(), t.h2d_ms, t.storage_ms) +
         printf_text("bound: tok/s <= %.2f (S = %s streamed per token; B_vram %.1f, B_h2d %.1f, "
                     "B_storage %.1f GB/s)\n",
                     p.bound_tok_s, bytes_text(p.streamed_bytes).c_str(), p.links.vram_gbps,
                     p.links.h2d_gbps, p.links.storage_gbps);
}

}  // namespace

std::string format_tier_plan(const TierPlan& plan) {
  std::string text = header(plan);
  const bool d = plan.has_cpu_layers();
  text += printf_text("%-20s %-6s %12s %12s %12s ", "row", "tiers", "A", "B", "C") + (d ? printf_text("%12s ", "D") : "") +
          printf_text("%10s\n", "ms/pass");
  text += host_only_lines(plan);
  for (const PlanRow& row : plan.rows) {
    text += row_line(row.name, tier_mix(row.bytes), row.bytes, printf_text("%.3f", row.time.ms()), d);
  }
  text += row_line("total", tier_mix(plan.totals), plan.totals, printf_text("%.3f", plan.pass.ms()), d);
  return text + footer(plan);
}

}  // namespace nt
