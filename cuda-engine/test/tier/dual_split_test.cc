// The dual path's planning (tier D): the split the cost model picks for measured rates, its
// fallback to pure streaming when the CPU's share does not pay, forced patterns, and the
// pieces (switch count, even spread).
#include <gtest/gtest.h>

#include "core/bytes_text.h"
#include "core/engine_error.h"
#include "tier/dual_split.h"
#include "tier/tier_plan.h"

namespace nt {

namespace {

constexpr uint64_t kGiB = 1ull << 30;
constexpr uint64_t kLayer = 500'000'000;

// 80 blocks of 0.5 GB (two norms and one body each), a 1 GB head: the 70B shape of issue 13.
TierPlanInput shape_70b() {
  TierPlanInput in;
  in.tensors.push_back({"token_embd.weight", 500'000'000, -1, false});
  for (int32_t l = 0; l < 80; ++l) {
    const std::string p = "blk." + std::to_string(l) + ".";
    in.tensors.push_back({p + "attn_norm.weight", 32 * 1024, l, true});
    in.tensors.push_back({p + "ffn_norm.weight", 32 * 1024, l, true});
    in.tensors.push_back({p + "attn_q.weight", kLayer / 2, l, true});
    in.tensors.push_back({p + "ffn_down.weight", kLayer / 2, l, true});
  }
  in.tensors.push_back({"output_norm.weight", 32 * 1024, -1, true});
  in.tensors.push_back({"output.weight", 1'000'000'000, -1, true});
  in.vram_budget = 24 * kGiB;
  in.pinned_budget = 64 * kGiB;
  in.kv_bytes_per_sequence = 640ull << 20;
  in.activation_bytes = 256ull << 20;
  in.links = {3000.0, 55.0, 7.0};
  return in;
}

// What the H100 machine measured (issue 13): DRAM serves both at once at a little less each.
CpuRates h100_rates() {
  CpuRates r;
  r.cpu_gbps = 75;
  r.cpu_batch_gbps = 12;  // at batch 8 the CPU's products are compute-bound
  r.batch = 8;
  r.h2d_together_gbps = 50;
  r.cpu_together_gbps = 57;
  return r;
}

TierPlanInput dual(DualPathMode mode, int32_t batch) {
  TierPlanInput in = shape_70b();
  in.dual.mode = mode;
  in.dual.rates = h100_rates();
  in.dual.batch = batch;
  return in;
}

Tier tier_of(const TierPlan& p, const std::string& name) {
  for (const TensorPlacement& t : p.tensors) {
    if (t.name == name) return t.tier;
  }
  ADD_FAILURE() << "no tensor " << name;
  return Tier::A;
}

size_t count(const std::string& s, char c) { return static_cast<size_t>(std::count(s.begin(), s.end(), c)); }

}  // namespace

TEST(DualSplit, AutoAtBatchOneSplitsTheStreamedBlocksBetweenTheLinkAndTheCpu) {
  const TierPlan streaming = plan_tiers(shape_70b());
  const TierPlan p = plan_tiers(dual(DualPathMode::Auto, 1));
  ASSERT_GT(streaming.streamed_bytes, 0u);
  ASSERT_TRUE(p.has_cpu_layers());
  // Tier D comes out of the pinned blocks only; tier A is what the plain plan had.
  EXPECT_EQ(p.totals.a, streaming.totals.a - 2 * 32 * 1024 * count(p.layer_pattern, 'C'));
  EXPECT_EQ(p.totals.d + p.streamed_bytes, streaming.streamed_bytes + 2 * 32 * 1024 * count(p.layer_pattern, 'C'));
  // About B_cpu / (B_h2d + B_cpu) of the streamed bytes go to the CPU (57 / 107).
  const double share = static_cast<double>(p.totals.d) / static_cast<double>(streaming.streamed_bytes);
  EXPECT_NEAR(share, 57.0 / 107.0, 0.06);
  // Predicted: near streamed bytes / (B_h2d + B_cpu together), never below it.
  const double dual_bound_ms = static_cast<double>(streaming.streamed_bytes) / (p.dual_bound_gbps() * 1e6);
  EXPECT_GE(p.pass.ms(), dual_bound_ms);
  EXPECT_LT(p.pass.ms(), 1.2 * dual_bound_ms);
  // The passes that stream every block copy a tier-D block whole, its norms too (resident in the
  // plain plan): a few KiB more per block.
  EXPECT_NEAR(p.streaming_ms, streaming.pass.ms(), 1e-3 * streaming.pass.ms());
  EXPECT_GE(p.streaming_ms, streaming.pass.ms());
  EXPECT_LT(p.pass.ms(), 0.6 * p.streaming_ms);
  EXPECT_GT(p.bound_tok_s, 1.6 * streaming.bound_tok_s);
  // Whole blocks, norms included, in pinned RAM; the VRAM slots need not hold them.
  for (size_t l = 0; l < p.layer_pattern.size(); ++l) {
    const std::string name = "blk." + std::to_string(l) + ".";
    const Tier want = p.layer_pattern[l] == 'C' ? Tier::D : tier_of(streaming, name + "ffn_down.weight");
    if (p.layer_pattern[l] == 'C') EXPECT_EQ(tier_of(streaming, name + "ffn_down.weight"), Tier::B) << l;
    EXPECT_EQ(tier_of(p, name + "attn_norm.weight"), p.layer_pattern[l] == 'C' ? Tier::D : tier_of(streaming, name + "attn_norm.weight"));
    EXPECT_EQ(tier_of(p, name + "ffn_down.weight"), want) << l;
  }
  EXPECT_EQ(p.pinned_used, p.totals.b + p.totals.d + 3 * p.pinned_slot_bytes);
  EXPECT_LE(p.pinned_used, p.pinned_budget);
  std::vector<bool> cpu;
  for (char c : p.layer_pattern) cpu.push_back(c == 'C');
  EXPECT_EQ(p.switches, count_switches(cpu));
  EXPECT_GT(p.switches, 0);
}

TEST(DualSplit, CpuBlocksAlternateWithStreamedOnes) {
  const TierPlan p = plan_tiers(dual(DualPathMode::Auto, 1));
  // Among the blocks that stream, CPU and streamed blocks alternate (a run of two where one side
  // has more, never three): while the CPU computes one, the link copies the next.
  std::string streamed;
  const TierPlan plain = plan_tiers(shape_70b());
  for (size_t l = 0; l < p.layer_pattern.size(); ++l) {
    if (plain.rows[l + 1].bytes.b > 0) streamed += p.layer_pattern[l];
  }
  EXPECT_EQ(streamed.find("CCC"), std::string::npos) << streamed;
  EXPECT_NE(streamed.find("GCGC"), std::string::npos) << streamed;
  EXPECT_EQ(streamed.find("GGG"), std::string::npos) << streamed;
}

TEST(DualSplit, LargeBatchesFallBackToPureStreaming) {
  const TierPlan p = plan_tiers(dual(DualPathMode::Auto, 16));
  EXPECT_FALSE(p.has_cpu_layers());
  EXPECT_EQ(p.layer_pattern, std::string(80, 'G'));
  EXPECT_EQ(p.pass.ms(), p.streaming_ms);
  EXPECT_EQ(p.switches, 0);
}

TEST(DualSplit, CpuSlowerThanItPaysFallsBackAtBatchOneToo) {
  TierPlanInput in = dual(DualPathMode::Auto, 1);
  in.dual.switch_ms = 50;  // a switch costs more than a block's copy
  EXPECT_FALSE(plan_tiers(in).has_cpu_layers());
}

TEST(DualSplit, OnKeepsAtLeastOneCpuBlockEvenWhenItDoesNotPay) {
  const TierPlan p = plan_tiers(dual(DualPathMode::On, 16));
  EXPECT_TRUE(p.has_cpu_layers());
  EXPECT_GE(p.pass.ms(), p.streaming_ms);
}

TEST(DualSplit, OffNeverUsesTheCpu) {
  const TierPlan p = plan_tiers(dual(DualPathMode::Off, 1));
  EXPECT_FALSE(p.has_cpu_layers());
  EXPECT_EQ(p.layer_pattern, std::string(80, 'G'));
  EXPECT_EQ(format_tier_plan(p).find("dual path"), std::string::npos);
}

TEST(DualSplit, ForcedPatternsPutExactlyTheirLayersInTierD) {
  TierPlanInput in = shape_70b();
  in.pinned_budget = 100 * kGiB;
  std::string pattern(80, 'G');
  pattern[0] = 'C';    // resident in the plain plan: moves to pinned RAM
  pattern[79] = 'C';   // streamed in the plain plan
  in.dual.pattern = pattern;
  const TierPlan p = plan_tiers(in);
  EXPECT_EQ(p.layer_pattern, pattern);
  EXPECT_EQ(tier_of(p, "blk.0.attn_q.weight"), Tier::D);
  EXPECT_EQ(tier_of(p, "blk.79.ffn_norm.weight"), Tier::D);
  EXPECT_EQ(tier_of(p, "blk.1.attn_q.weight"), tier_of(plan_tiers(shape_70b()), "blk.1.attn_q.weight"));
  EXPECT_EQ(p.switches, 3);  // into C at 0 (none: the pass starts on the host), C→G at 1, G→C at 79, C→G for the head
  EXPECT_EQ(p.pass.cpu_ms, 0);  // unmeasured rates: the CPU's time is not predicted
}

TEST(DualSplit, ForcedPatternsOfTheWrongShapeAreBadRequests) {
  TierPlanInput in = shape_70b();
  for (const std::string pattern : {std::string(79, 'G'), std::string(80, 'G') + "C", std::string(80, 'X')}) {
    in.dual.pattern = pattern;
    try {
      plan_tiers(in);
      ADD_FAILURE() << "accepted " << pattern;
    } catch (const EngineError& e) {
      EXPECT_EQ(e.code(), "NT_E_BAD_REQUEST") << e.what();
    }
  }
}

TEST(DualSplit, ForcedBlocksBeyondThePinnedBudgetAreOutOfMemory) {
  TierPlanInput in = shape_70b();
  in.pinned_budget = 21 * kGiB;  // the streamed blocks fit, the resident ones forced out do not
  in.dual.pattern = std::string(80, 'C');
  try {
    plan_tiers(in);
    FAIL() << "accepted";
  } catch (const EngineError& e) {
    EXPECT_EQ(e.code(), "NT_E_OUT_OF_MEMORY");
    EXPECT_NE(std::string(e.what()).find("tier-D"), std::string::npos) << e.what();
  }
}

TEST(DualSplit, AutoWithoutMeasuredRatesIsABadRequest) {
  TierPlanInput in = shape_70b();
  in.dual.mode = DualPathMode::Auto;
  EXPECT_THROW(plan_tiers(in), EngineError);
}

TEST(DualSplit, TheFormattedPlanShowsTierDTheRatesAndThePrediction) {
  const TierPlan p = plan_tiers(dual(DualPathMode::Auto, 1));
  const std::string text = format_tier_plan(p);
  EXPECT_NE(text.find("dual path auto: layers " + p.layer_pattern), std::string::npos) << text;
  EXPECT_NE(text.find("B_cpu 75.0 GB/s at batch 1, 12.0 GB/s at batch 8; together B_h2d 50.0 GB/s + B_cpu 57.0 GB/s"),
            std::string::npos) << text;
  EXPECT_NE(text.find("pure streaming"), std::string::npos) << text;
  EXPECT_NE(text.find("tier D "), std::string::npos) << text;
  EXPECT_NE(text.find("+ CPU "), std::string::npos) << text;
}

// Per pass (issue 13): the split is planned for batch-1 decode, but a 512-token prefill on the
// CPU's layers is compute-bound; each pass takes the layout predicted faster for its tokens.
TEST(DualSplit, EachPassTakesTheLayoutPredictedFasterForItsTokenCount) {
  const TierPlan p = plan_tiers(dual(DualPathMode::Auto, 1));
  ASSERT_TRUE(p.has_cpu_layers());
  EXPECT_TRUE(chooses_per_pass(p));
  const PassChoice one = choose_pass(p, 1), prefill = choose_pass(p, 512);
  EXPECT_TRUE(one.dual);
  EXPECT_NEAR(one.dual_ms, p.pass.ms(), 1e-9);
  EXPECT_EQ(one.streaming_ms, p.streaming_ms);
  EXPECT_LT(one.dual_ms, one.streaming_ms);
  EXPECT_FALSE(prefill.dual);
  EXPECT_GT(prefill.dual_ms, prefill.streaming_ms);
  // The CPU's rate falls from 75 GB/s at 1 token to 12 at 8: the split stops paying in between.
  const int32_t most = dual_max_tokens(p);
  EXPECT_GE(most, 1);
  EXPECT_LT(most, 8);
  EXPECT_TRUE(choose_pass(p, most).dual);
  EXPECT_FALSE(choose_pass(p, most + 1).dual);
  const std::string text = format_tier_plan(p);
  EXPECT_NE(text.find("the split up to " + std::to_string(most) + " tokens per pass"), std::string::npos) << text;
}

TEST(DualSplit, OnAndPlansWithoutTierDDoNotChoosePerPass) {
  const TierPlan on = plan_tiers(dual(DualPathMode::On, 1));
  EXPECT_FALSE(chooses_per_pass(on));
  EXPECT_TRUE(choose_pass(on, 512).dual);  // measuring the split: every pass takes it
  const TierPlan none = plan_tiers(dual(DualPathMode::Auto, 16));
  EXPECT_FALSE(choose_pass(none, 1).dual);
  EXPECT_EQ(dual_max_tokens(none), 0);
}

// The passes that stream every block copy the tier-D ones into the VRAM slots too.
TEST(DualSplit, TheVramSlotsHoldTierDBlocksForThePassesThatStreamThem) {
  TierPlanInput in = shape_70b();
  in.pinned_budget = 100 * kGiB;
  std::string pattern(80, 'G');
  pattern[0] = 'C';  // resident in the plain plan
  in.dual.pattern = pattern;
  const TierPlan p = plan_tiers(in);
  EXPECT_GE(p.vram_slot_bytes, kLayer);
  EXPECT_LE(p.vram_used, p.vram_budget);
  // A large resident block forced to the CPU grows the slots past what tier A gave back.
  TierPlanInput small;
  small.tensors = {{"blk.0.attn_q.weight", 2 * kGiB, 0, true}, {"blk.1.attn_q.weight", 100ull << 20, 1, true}};
  small.vram_budget = 3 * kGiB;
  small.pinned_budget = 8 * kGiB;
  small.links = {3000.0, 55.0, 7.0};
  ASSERT_EQ(plan_tiers(small).layer_pattern, "GG");
  small.dual.pattern = "CG";
  try {
    plan_tiers(small);
    FAIL() << "accepted";
  } catch (const EngineError& e) {
    EXPECT_EQ(e.code(), "NT_E_OUT_OF_MEMORY");
    EXPECT_NE(std::string(e.what()).find("the passes that stream them"), std::string::npos) << e.what();
  }
}

// Tier-D layers keep their keys and values in host memory too: counted in the pinned budget.
TEST(DualSplit, TheHostKeysAndValuesOfTierDLayersCountInThePinnedBudget) {
  TierPlanInput in = dual(DualPathMode::Auto, 1);
  in.kv_bytes_per_layer = 64ull << 20;
  const TierPlan p = plan_tiers(in);
  const uint64_t cpu_layers = count(p.layer_pattern, 'C');
  ASSERT_GT(cpu_layers, 0u);
  EXPECT_EQ(p.host_kv_bytes, cpu_layers * in.kv_bytes_per_layer);
  EXPECT_EQ(p.pinned_used, p.totals.b + p.totals.d + 3 * p.pinned_slot_bytes + p.host_kv_bytes);
  EXPECT_NE(format_tier_plan(p).find("host KV " + bytes_text(p.host_kv_bytes)), std::string::npos);
  // A budget with room for 5 layers' host KV: auto takes at most 5.
  in.pinned_budget = p.pinned_used - p.host_kv_bytes + 5 * in.kv_bytes_per_layer;
  const TierPlan tight = plan_tiers(in);
  EXPECT_LE(count(tight.layer_pattern, 'C'), 5u);
  EXPECT_GT(count(tight.layer_pattern, 'C'), 0u);
  EXPECT_LE(tight.pinned_used, tight.pinned_budget);
  // None fits: auto streams every block; on and a forced pattern are refused, saying why.
  in.pinned_budget = p.pinned_used - p.host_kv_bytes + in.kv_bytes_per_layer / 2;
  EXPECT_FALSE(plan_tiers(in).has_cpu_layers());
  in.dual.mode = DualPathMode::On;
  for (const std::string pattern : {std::string(), std::string(79, 'G') + "C"}) {
    in.dual.pattern = pattern;
    try {
      plan_tiers(in);
      ADD_FAILURE() << "accepted '" << pattern << "'";
    } catch (const EngineError& e) {
      EXPECT_EQ(e.code(), "NT_E_OUT_OF_MEMORY");
      EXPECT_NE(std::string(e.what()).find("of host keys and values"), std::string::npos) << e.what();
    }
  }
}

TEST(DualSplit, SwitchesCountEveryChangeAndTheWayBackForTheHead) {
  EXPECT_EQ(count_switches({false, false}), 0);
  EXPECT_EQ(count_switches({true, false}), 1);
  EXPECT_EQ(count_switches({false, true}), 2);
  EXPECT_EQ(count_switches({false, true, false, true}), 4);
  EXPECT_EQ(count_switches({true, true}), 1);
}

TEST(DualSplit, SpreadPicksDistinctEvenlySpacedCandidates) {
  EXPECT_EQ(spread(0, 10), std::vector<size_t>{});
  EXPECT_EQ(spread(1, 10), std::vector<size_t>{5});
  EXPECT_EQ(spread(5, 10), (std::vector<size_t>{1, 3, 5, 7, 9}));
  EXPECT_EQ(spread(10, 10), (std::vector<size_t>{0, 1, 2, 3, 4, 5, 6, 7, 8, 9}));
  EXPECT_EQ(spread(3, 3), (std::vector<size_t>{0, 1, 2}));
}

}  // namespace nt
