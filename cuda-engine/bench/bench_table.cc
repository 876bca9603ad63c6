#include "bench_table.h"

#include <string>

#include "core/bytes_text.h"
#include "core/printf_text.h"
#include "profile_table.h"

namespace nt::bench {

namespace {

// "1.10 B", "15.03 M", as llama-bench prints parameter counts.
std::string count_text(uint64_t n) {
  if (n >= 1000000000ull) return printf_text("%.2f B", n / 1e9);
  if (n >= 1000000ull) return printf_text("%.2f M", n / 1e6);
  if (n >= 1000ull) return printf_text("%.2f K", n / 1e3);
  return printf_text("%llu", static_cast<unsigned long long>(n));
}

std::string tiers_text(const TierBytes& t) {
  return bytes_text(t.a) + " / " + bytes_text(t.b) + " / " + bytes_text(t.c) + (t.d > 0 ? " / D " + bytes_text(t.d) : "");
}

std::string row(const ModelResult& m, const TestResult& t) {
  const std::string bound = t.bound_tok_s > 0 ? printf_text("%.2f", t.bound_tok_s) : "-";
  const std::string ratio = t.bound_tok_s > 0 ? printf_text("%.1f %%", 100.0 * t.ratio) : "-";
  return printf_text("| %s | %s | %s | %s | %s | %s | %s | %s | %.2f ± %.2f | %s | %s |\n", m.name.c_str(),
                bytes_text(m.size_bytes).c_str(), count_text(m.params).c_str(),
                (m.backend + (m.backend == "cpu" ? printf_text(" (%d threads)", m.threads) : "")).c_str(),
                bytes_text(m.plan.vram_budget).c_str(), bytes_text(m.plan.pinned_budget).c_str(),
                tiers_text(m.plan.totals).c_str(), t.name.c_str(), t.mean, t.sd, bound.c_str(), ratio.c_str());
}

std::string gbps(double value) { return value > 0 ? printf_text("%.1f GB/s", value) : std::string("not measured"); }

std::string links_line(const ModelResult& m) {
  const LinkSpeeds& s = m.links.speeds;
  // Without tier C the engine opens no reader, so direct_io() says nothing about the filesystem.
  const std::string storage = m.plan.totals.c == 0 ? "storage read " + gbps(s.storage_gbps) + " (no tier C)"
                              : m.direct_io        ? "O_DIRECT read " + gbps(s.storage_gbps) + " (direct)"
                                                   : "storage read " + gbps(s.storage_gbps) + " (buffered: O_DIRECT refused)";
  std::string source = m.links.remeasured ? "re-measured after the tests" : "measured at load";
  if (!m.links.remeasure_error.empty()) source += "; --measure-links failed: " + m.links.remeasure_error;
  return printf_text("%s: links (%s): pinned H2D %s, %s, VRAM %s\n", m.name.c_str(), source.c_str(),
                gbps(s.h2d_gbps).c_str(), storage.c_str(), gbps(s.vram_gbps).c_str());
}

// The bound of DESIGN §3 with its terms, so a reader can check which link binds.
std::string bound_line(const ModelResult& m) {
  if (m.decode_bound_tok_s <= 0) return printf_text("%s: no per-pass bytes, so no link bound\n", m.name.c_str());
  const std::string chain = m.plan.has_cpu_layers()
                                ? printf_text("VRAM %.3f + CPU %.3f + switches %.3f", m.pass.vram_ms, m.pass.cpu_ms, m.pass.switch_ms)
                                : printf_text("VRAM %.3f", m.pass.vram_ms);
  return printf_text("%s: bound tok/s <= 1000 / max(%s, H2D %.3f, storage %.3f ms per pass) = %.2f; "
                "S = %s streamed per pass; pp bound = tokens / passes x that (link bound: compute usually binds "
                "first); each test's VRAM term adds the K/V its passes read, %s per cached position at the VRAM "
                "rate\n",
                m.name.c_str(), chain.c_str(), m.pass.h2d_ms, m.pass.storage_ms, m.decode_bound_tok_s,
                bytes_text(m.plan.streamed_bytes).c_str(), bytes_text(m.kv_bytes_per_position).c_str());
}

// The dual path's calibration and its bound, with each test's share of it.
std::string dual_lines(const ModelResult& m) {
  const TierPlan& p = m.plan;
  if (p.dual_mode == DualPathMode::Off && !p.has_cpu_layers()) return "";
  const CpuRates& r = p.cpu_rates;
  std::string text = printf_text("%s: dual path %s: layers %s, tier D %s, %d switches; calibration: B_cpu %s at batch 1, "
                                 "%s at batch %d; together B_h2d %s + B_cpu %s\n",
                                 m.name.c_str(), dual_path_mode_name(p.dual_mode), p.layer_pattern.c_str(),
                                 bytes_text(p.totals.d).c_str(), p.switches, gbps(r.cpu_gbps).c_str(),
                                 gbps(r.cpu_batch_gbps).c_str(), r.batch, gbps(r.h2d_together_gbps).c_str(),
                                 gbps(r.cpu_together_gbps).c_str());
  if (m.dual_bound_tok_s <= 0) return text + printf_text("%s: no dual bound (uncalibrated)\n", m.name.c_str());
  text += printf_text("%s: dual bound tok/s <= (B_h2d + B_cpu together) / (B + C + D bytes) = %.1f GB/s / %s = %.2f; "
                      "predicted pass %.3f ms (pure streaming %.3f ms)\n",
                      m.name.c_str(), p.dual_bound_gbps(), bytes_text(p.streamed_bytes + p.totals.d).c_str(),
                      m.dual_bound_tok_s, p.pass.ms(), p.streaming_ms);
  for (const TestResult& t : m.tests) {
    text += printf_text("%s %s: %.2f t/s = %.1f %% of the dual bound %.2f\n", m.name.c_str(), t.name.c_str(), t.mean,
                        100.0 * t.dual_ratio, t.dual_bound_tok_s);
  }
  return text;
}

std::string stages_line(const ModelResult& m, const TestResult& t) {
  const StagesPerPass& s = t.stages;
  if (s.passes == 0) return printf_text("%s %s: no streamed passes (every weight resident)\n", m.name.c_str(), t.name.c_str());
  return printf_text("%s %s per pass: read %.3f ms, h2d %.3f ms, compute %.3f ms, stall %.3f ms; read %s, copied %s "
                "(%llu passes)\n",
                m.name.c_str(), t.name.c_str(), s.read_ms, s.h2d_ms, s.compute_ms, s.stall_ms,
                bytes_text(static_cast<uint64_t>(s.bytes_read)).c_str(),
                bytes_text(static_cast<uint64_t>(s.bytes_copied)).c_str(), static_cast<unsigned long long>(s.passes));
}

}  // namespace

void print_table(std::FILE* out, const std::vector<ModelResult>& results) {
  std::fputs("| model | size | params | backend | vram budget | pinned budget | tiers A/B/C | test | t/s | "
             "bound t/s | ratio |\n"
             "| --- | ---: | ---: | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |\n",
             out);
  for (const ModelResult& m : results) {
    for (const TestResult& t : m.tests) std::fputs(row(m, t).c_str(), out);
  }
  std::fputs("\n", out);
  for (const ModelResult& m : results) {
    std::fputs(links_line(m).c_str(), out);
    std::fputs(bound_line(m).c_str(), out);
    std::fputs(dual_lines(m).c_str(), out);
    for (const TestResult& t : m.tests) std::fputs(stages_line(m, t).c_str(), out);
    for (const TestResult& t : m.tests) std::fputs(profile_text(m.name, t).c_str(), out);
  }
}

}  // namespace nt::bench
