#include "profile_table.h"

#include <cstdint>

#include "core/bytes_text.h"
#include "core/printf_text.h"

namespace nt::bench {

namespace {

std::string gbps_text(uint64_t bytes, double ms) {
  return bytes > 0 && ms > 0 ? printf_text("%.1f", static_cast<double>(bytes) / ms / 1e6) : std::string("-");
}

std::string share_text(double ms, double wall_ms) {
  return wall_ms > 0 ? printf_text("%.1f %%", 100.0 * ms / wall_ms) : std::string("-");
}

std::string op_rows(const OpProfile& p) {
  const double passes = static_cast<double>(p.passes() ? p.passes() : 1);
  std::string text = "| op | calls | ms/pass | % of pass | weights/pass | GB/s |\n| --- | ---: | ---: | ---: | ---: | ---: |\n";
  for (const OpTime& o : p.ops()) {
    text += printf_text("| %s | %llu | %.3f | %s | %s | %s |\n", o.op.c_str(), static_cast<unsigned long long>(o.calls),
                        o.ms / passes, share_text(o.ms, p.wall_ms()).c_str(),
                        o.bytes ? bytes_text(static_cast<uint64_t>(o.bytes / passes)).c_str() : "-",
                        gbps_text(o.bytes, o.ms).c_str());
  }
  return text;
}

// A dual-path pass: each segment's host time; a device segment's beyond its ops is its switch
// (staging, the activations up and down, the synchronisation).
std::string segment_rows(const OpProfile& p) {
  if (p.segments().empty()) return "";
  const double passes = static_cast<double>(p.passes() ? p.passes() : 1);
  std::string text =
      "| segment | layers | ms/pass | ops ms/pass | rest ms/pass | % of pass | weights/pass | GB/s |\n"
      "| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: |\n";
  for (const SegmentTime& s : p.segments()) {
    const std::string layers = s.first < s.last ? printf_text("%d-%d", s.first, s.last - 1) : std::string("none");
    text += printf_text("| %s | %s%s | %.3f | %.3f | %.3f | %s | %s | %s |\n", s.cpu ? "CPU" : "device", layers.c_str(),
                        s.head ? " + head" : "", s.ms / passes, s.ops_ms / passes, (s.ms - s.ops_ms) / passes,
                        share_text(s.ms, p.wall_ms()).c_str(),
                        s.bytes ? bytes_text(static_cast<uint64_t>(s.bytes / passes)).c_str() : "-",
                        gbps_text(s.bytes, s.ms).c_str());
  }
  double segments_ms = 0;
  for (const SegmentTime& s : p.segments()) segments_ms += s.ms;
  const OpTime* sync = p.find("kv sync");
  return text + printf_text("segments %.3f ms/pass of the pass's %.3f; kv sync %.3f; the rest %.3f ms/pass (the "
                            "model's and the dual path's bookkeeping between segments)\n",
                            segments_ms / passes, p.wall_ms() / passes, sync ? sync->ms / passes : 0.0,
                            (p.wall_ms() - segments_ms - (sync ? sync->ms : 0.0)) / passes);
}

}  // namespace

std::string profile_text(const std::string& model_name, const TestResult& t) {
  if (!t.profiled) return "";
  const OpProfile& p = t.profile;
  const double passes = static_cast<double>(p.passes() ? p.passes() : 1);
  const double rest = p.wall_ms() - p.ops_ms();
  // The timed runs' pass (graph replayed where it applies), for comparing with the profiled one.
  const double timed_ms = t.mean > 0 && t.passes_per_rep > 0 ? 1000.0 * t.tokens / t.mean / t.passes_per_rep : 0;
  std::string text = printf_text(
      "\n%s %s profile (%llu pass%s from position %d, no CUDA graph): wall %.3f ms/pass, ops %.3f ms/pass (%s), "
      "rest %.3f ms/pass (launch gaps, host work); the timed runs' pass %.3f ms\n",
      model_name.c_str(), t.name.c_str(), static_cast<unsigned long long>(p.passes()), p.passes() == 1 ? "" : "es",
      t.profile_depth, p.wall_ms() / passes, p.ops_ms() / passes, share_text(p.ops_ms(), p.wall_ms()).c_str(),
      rest / passes, timed_ms);
  return text + op_rows(p) + segment_rows(p);
}

}  // namespace nt::bench
