#include "tier/dual_split.h"

#include <algorithm>

namespace nt {

namespace {

double link_ms(uint64_t bytes, double gbps) { return gbps > 0 ? static_cast<double>(bytes) / (gbps * 1e6) : 0; }

// Milliseconds per weight byte of the CPU's products at `batch` tokens: measured at 1 and at
// rates.batch, linear in between and beyond (per-token work grows with the batch once the
// products stop being bound by reading the weights). 0 when unmeasured.
double cpu_ms_per_byte(const CpuRates& r, int32_t batch, bool contended) {
  if (!(r.cpu_gbps > 0)) return 0;
  const double one = 1.0 / (r.cpu_gbps * 1e6);
  double t = one;
  if (r.batch > 1 && r.cpu_batch_gbps > 0 && batch > 1) {
    const double at_batch = 1.0 / (r.cpu_batch_gbps * 1e6);
    t = std::max(one, one + (at_batch - one) * (batch - 1) / (r.batch - 1));
  }
  // DRAM contention: the copies running beside slow the CPU by what the together run measured.
  if (contended && r.cpu_together_gbps > 0) t *= std::max(1.0, r.cpu_gbps / r.cpu_together_gbps);
  return t;
}

TierBytes sum_with(const std::vector<TierBytes>& layers, const TierBytes& rest, const std::vector<bool>& cpu) {
  TierBytes t = rest;
  for (size_t l = 0; l < layers.size(); ++l) {
    const TierBytes& b = layers[l];
    if (cpu[l]) {
      t.d += b.a + b.b + b.c + b.d;
    } else {
      t.a += b.a, t.b += b.b, t.c += b.c, t.d += b.d;
    }
  }
  return t;
}

}  // namespace

PassTime dual_pass_time(const TierBytes& b, int32_t switches, const DualPathInput& dual, const LinkSpeeds& links) {
  const bool contended = b.d > 0 && b.b + b.c > 0;  // both sides read DRAM at once
  const bool together = contended && dual.rates.h2d_together_gbps > 0;
  PassTime t;
  t.vram_ms = link_ms(b.a + b.b + b.c, links.vram_gbps);
  t.h2d_ms = link_ms(b.b + b.c, together ? dual.rates.h2d_together_gbps : links.h2d_gbps);
  t.storage_ms = link_ms(b.c, links.storage_gbps);
  t.cpu_ms = static_cast<double>(b.d) * cpu_ms_per_byte(dual.rates, std::max(1, dual.batch), contended);
  t.switch_ms = switches * dual.switch_ms;
  return t;
}

int32_t count_switches(const std::vector<bool>& cpu) {
  int32_t n = 0;
  bool on_cpu = false;  // the pass starts with the tokens on the host: the first layer costs none
  for (size_t l = 0; l < cpu.size(); ++l) {
    if (l > 0 && cpu[l] != on_cpu) ++n;
    on_cpu = cpu[l];
  }
  return n + (on_cpu ? 1 : 0);  // the head runs on the compute device
}

std::vector<size_t> spread(size_t k, size_t m) {
  std::vector<size_t> picked;
  for (size_t i = 0; i < k; ++i) picked.push_back(std::min(m - 1, (2 * i + 1) * m / (2 * k)));
  return picked;
}

std::vector<bool> choose_dual_split(const std::vector<TierBytes>& layers, const TierBytes& rest,
                                    const DualPathInput& dual, const LinkSpeeds& links, size_t max_blocks) {
  std::vector<bool> best(layers.size(), false);
  if (dual.mode == DualPathMode::Off) return best;
  std::vector<size_t> candidates;
  for (size_t l = 0; l < layers.size(); ++l) {
    if (layers[l].c == 0 && layers[l].b > layers[l].a) candidates.push_back(l);
  }
  double best_ms = -1;
  const size_t most = std::min(max_blocks, candidates.size());
  for (size_t k = dual.mode == DualPathMode::On ? 1 : 0; k <= most; ++k) {
    std::vector<bool> cpu(layers.size(), false);
    for (size_t i : spread(k, candidates.size())) cpu[candidates[i]] = true;
    const double ms = dual_pass_time(sum_with(layers, rest, cpu), count_switches(cpu), dual, links).ms();
    if (best_ms < 0 || ms < best_ms) best_ms = ms, best = cpu;  // ties keep fewer CPU blocks
  }
  return best;
}

PassChoice choose_pass(const TierPlan& plan, int32_t tokens) {
  PassChoice c;
  c.streaming_ms = plan.streaming_ms;
  c.dual_ms = plan.streaming_ms;
  if (!plan.has_cpu_layers()) return c;
  DualPathInput in;
  in.mode = plan.dual_mode;
  in.rates = plan.cpu_rates;
  in.batch = std::max(1, tokens);
  in.switch_ms = plan.switch_ms;
  c.dual_ms = dual_pass_time(plan.pass_bytes, plan.switches, in, plan.links).ms();
  if (plan.split_tokens > 0) {
    c.dual = tokens <= plan.split_tokens;
  } else {
    c.dual = !chooses_per_pass(plan) || c.dual_ms < c.streaming_ms;
  }
  return c;
}

bool chooses_per_pass(const TierPlan& plan) {
  if (!plan.has_cpu_layers()) return false;
  return plan.split_tokens > 0 || (plan.dual_mode == DualPathMode::Auto && plan.cpu_rates.cpu_gbps > 0);
}

int32_t dual_max_tokens(const TierPlan& plan) {
  // The CPU's time per byte never falls as the tokens grow, so the choice flips at most once.
  if (!plan.has_cpu_layers() || !choose_pass(plan, 1).dual) return 0;
  if (plan.split_tokens > 0) return plan.split_tokens;
  int32_t lo = 1, hi = 1 << 20;
  if (choose_pass(plan, hi).dual) return hi;
  while (hi - lo > 1) {
    const int32_t mid = lo + (hi - lo) / 2;
    (choose_pass(plan, mid).dual ? lo : hi) = mid;
  }
  return lo;
}

}  // namespace nt
