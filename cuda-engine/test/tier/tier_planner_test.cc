// The tier planner: budgets are never exceeded, small always-used tensors and the output head go
// up first, and more VRAM never makes the expected pass slower.
#include <gtest/gtest.h>

#include <random>

#include "core/bytes_text.h"
#include "core/engine_error.h"
#include "tier/tier_plan.h"

namespace nt {

namespace {

constexpr uint64_t kMiB = 1ull << 20;
constexpr uint64_t kGiB = 1ull << 30;

const LinkSpeeds kLinks{3000.0, 55.0, 7.0};

// A llama-like block: two norms and seven matrices whose sizes add up to `layer_bytes` (+ norms).
void add_layer(std::vector<TierTensor>& t, int32_t l, uint64_t layer_bytes, uint64_t norm_bytes) {
  const std::string p = "blk." + std::to_string(l) + ".";
  t.push_back({p + "attn_norm.weight", norm_bytes, l, true});
  t.push_back({p + "ffn_norm.weight", norm_bytes, l, true});
  const uint64_t parts[] = {8, 1, 1, 8, 27, 27, 28};  // q k v o gate up down, in 1/100ths
  for (size_t i = 0; i < 7; ++i) {
    static const char* const names[] = {"attn_q", "attn_k", "attn_v", "attn_output",
                                        "ffn_gate", "ffn_up", "ffn_down"};
    t.push_back({p + names[i] + ".weight", layer_bytes * parts[i] / 100, l, true});
  }
}

uint64_t layer_bytes_of(const std::vector<TierTensor>& t, int32_t l) {
  uint64_t sum = 0;
  for (const TierTensor& x : t) sum += x.layer == l ? x.bytes : 0;
  return sum;
}

// 80 blocks of ~0.5 GB, a 1 GB output head, a 0.5 GB token embedding: a 70B q4_k_m-like shape.
TierPlanInput shape_70b() {
  TierPlanInput in;
  in.tensors.push_back({"token_embd.weight", 500'000'000, -1, false});
  for (int32_t l = 0; l < 80; ++l) add_layer(in.tensors, l, 500'000'000, 32 * 1024);
  in.tensors.push_back({"output_norm.weight", 32 * 1024, -1, true});
  in.tensors.push_back({"output.weight", 1'000'000'000, -1, true});
  in.vram_budget = 24 * kGiB;
  in.pinned_budget = 64 * kGiB;
  in.kv_bytes_per_sequence = 640 * kMiB;
  in.n_sequences = 2;
  in.activation_bytes = 256 * kMiB;
  in.links = kLinks;
  return in;
}

void expect_within_budgets(const TierPlanInput& in, const TierPlan& p) {
  uint64_t a = 0, b = 0, c = 0;
  for (const TensorPlacement& t : p.tensors) {
    (t.tier == Tier::A ? a : t.tier == Tier::B ? b : c) += t.bytes;
    if (!t.per_pass) EXPECT_EQ(t.tier, Tier::B) << t.name;
  }
  EXPECT_EQ(a, p.totals.a);
  EXPECT_EQ(b, p.totals.b);
  EXPECT_EQ(c, p.totals.c);
  const uint64_t slots = static_cast<uint64_t>(in.staging_slots);
  const uint64_t kv = in.kv_bytes_per_sequence * static_cast<uint64_t>(in.n_sequences);
  EXPECT_EQ(p.vram_used, kv + in.activation_bytes + slots * p.vram_slot_bytes + a);
  EXPECT_EQ(p.pinned_used, b + slots * p.pinned_slot_bytes);
  EXPECT_LE(p.vram_used, in.vram_budget);
  EXPECT_LE(p.pinned_used, in.pinned_budget);
  // The slots hold the largest streamed group.
  for (const PlanRow& row : p.rows) {
    EXPECT_LE(row.bytes.b + row.bytes.c, p.vram_slot_bytes) << row.name;
    EXPECT_LE(row.bytes.c, p.pinned_slot_bytes) << row.name;
  }
}

Tier tier_of(const TierPlan& p, const std::string& name) {
  for (const TensorPlacement& t : p.tensors) {
    if (t.name == name) return t.tier;
  }
  ADD_FAILURE() << "no tensor " << name;
  return Tier::C;
}

std::string oom_message(const TierPlanInput& in) {
  try {
    plan_tiers(in);
  } catch (const EngineError& e) {
    EXPECT_EQ(e.code(), "NT_E_OUT_OF_MEMORY");
    return e.what();
  }
  ADD_FAILURE() << "the plan fit";
  return "";
}

}  // namespace

TEST(TierPlanner, AllFitsInVramAllA) {
  TierPlanInput in = shape_70b();
  in.vram_budget = 100 * kGiB;
  const TierPlan p = plan_tiers(in);
  expect_within_budgets(in, p);
  for (const TensorPlacement& t : p.tensors) EXPECT_EQ(t.tier, t.per_pass ? Tier::A : Tier::B) << t.name;
  EXPECT_EQ(p.streamed_bytes, 0u);
  EXPECT_EQ(p.staging_bytes(), 0u);
  EXPECT_EQ(p.totals.b, 500'000'000u);
  EXPECT_DOUBLE_EQ(p.pass.ms(), p.pass.vram_ms);  // resident decode: bound by HBM
}

TEST(TierPlanner, NoVramLeftForWeightsEverythingBOrC) {
  TierPlanInput in = shape_70b();
  in.tensors.back().bytes = 400'000'000;  // an output head smaller than a block
  // Exactly the KV cache, the activations and three slots of the largest group (a whole block).
  // (With the 1 GB head, its 3 GB of slots cost more than keeping it resident: see Shape70bIn24GiB.)
  in.vram_budget = 2 * 640 * kMiB + 256 * kMiB + 3 * layer_bytes_of(in.tensors, 0);
  const TierPlan p = plan_tiers(in);
  expect_within_budgets(in, p);
  EXPECT_EQ(p.totals.a, 0u);
  for (const TensorPlacement& t : p.tensors) EXPECT_NE(t.tier, Tier::A) << t.name;
}

TEST(TierPlanner, ZeroVramBudgetIsOutOfMemoryNamingTheSlots) {
  TierPlanInput in = shape_70b();
  in.vram_budget = 0;
  in.kv_bytes_per_sequence = 0;
  in.activation_bytes = 0;
  EXPECT_NE(oom_message(in).find("staging slots"), std::string::npos);
}

TEST(TierPlanner, Shape70bIn24GiB) {
  const TierPlanInput in = shape_70b();
  const TierPlan p = plan_tiers(in);
  expect_within_budgets(in, p);
  EXPECT_EQ(tier_of(p, "output.weight"), Tier::A);
  EXPECT_EQ(tier_of(p, "output_norm.weight"), Tier::A);
  EXPECT_EQ(tier_of(p, "token_embd.weight"), Tier::B);
  int resident_layers = 0;
  for (const PlanRow& row : p.rows) {
    if (row.layer < 0) continue;
    EXPECT_EQ(row.bytes.c, 0u) << row.name;
    if (row.bytes.b == 0) ++resident_layers;
  }
  for (const TensorPlacement& t : p.tensors) {
    if (t.name.find("norm") != std::string::npos) EXPECT_EQ(t.tier, Tier::A) << t.name;
  }
  // As many whole layers as fit after KV cache, activations, norms, output and 3 slots.
  const uint64_t layer = layer_bytes_of(in.tensors, 0), norms = 2 * 32 * 1024;
  const uint64_t room = in.vram_budget - 2 * 640 * kMiB - 256 * kMiB - 3 * (layer - norms) -
                        1'000'032'768ull - 80 * norms;
  EXPECT_EQ(resident_layers, static_cast<int>(room / (layer - norms)));
  EXPECT_EQ(p.vram_slot_bytes, layer - norms);
  EXPECT_EQ(p.pinned_slot_bytes, 0u);
  EXPECT_NEAR(p.bound_tok_s, 55e9 / p.streamed_bytes, 1e-9);
}

TEST(TierPlanner, ReducedPinnedBudgetSpillsToC) {
  TierPlanInput in = shape_70b();
  in.pinned_budget = 5 * kGiB;  // issue 5's second run: at least 15 GB in tier C
  const TierPlan p = plan_tiers(in);
  expect_within_budgets(in, p);
  EXPECT_GT(p.totals.c, 15'000'000'000u);
  EXPECT_GT(p.totals.b, 3'000'000'000u);
  EXPECT_GT(p.pinned_slot_bytes, 0u);
  EXPECT_EQ(tier_of(p, "output.weight"), Tier::A);
  EXPECT_GT(p.pass.storage_ms, p.pass.h2d_ms);  // 7 GB/s storage binds
  const TierPlan roomy = plan_tiers(shape_70b());
  EXPECT_GT(p.pass.ms(), roomy.pass.ms());
}

TEST(TierPlanner, TooSmallBudgetsAreOutOfMemory) {
  TierPlanInput in = shape_70b();
  in.vram_budget = 1 * kGiB;  // less than the KV cache and activations
  EXPECT_NE(oom_message(in).find("KV cache"), std::string::npos);
  in = shape_70b();
  in.pinned_budget = 100 * kMiB;  // less than the token embedding
  EXPECT_NE(oom_message(in).find("token_embd"), std::string::npos);
  in = shape_70b();
  in.pinned_budget = 1 * kGiB;  // the embedding fits, three tier-C staging buffers do not
  EXPECT_NE(oom_message(in).find("tier C"), std::string::npos);
}

// A budget refusal speaks the user's numbers (issue 16): the budget as given, what it must hold,
// each with its size, and a budget that does fit, which the planner then accepts.
TEST(TierPlanner, BudgetRefusalsNameTheirPartsAndABudgetThatFits) {
  TierPlanInput in = shape_70b();
  in.slot_slack_bytes = 1 * kMiB;
  const uint64_t slots = static_cast<uint64_t>(in.staging_slots);
  const uint64_t largest = 1'000'000'000;  // the output head, the largest group
  ASSERT_GT(largest, layer_bytes_of(in.tensors, 0));
  in.vram_budget = 1 * kGiB;
  const uint64_t vram_reserved = 2 * 640 * kMiB + 256 * kMiB + slots * kMiB;
  const uint64_t vram_enough = vram_reserved + slots * largest;
  std::string message = oom_message(in);
  EXPECT_EQ(message.rfind("vramBudget " + bytes_text(1 * kGiB) + " is too small: the KV cache (" +
                              bytes_text(2 * 640 * kMiB) + " for 2 sequences × " + bytes_text(640 * kMiB) +
                              "), the activations (" + bytes_text(256 * kMiB) + ") and the staging slots' slack (" +
                              std::to_string(slots) + " × " + bytes_text(kMiB) + ") need " + bytes_text(vram_reserved),
                          0),
            0u)
      << message;
  EXPECT_NE(message.find("use at least " + bytes_text(vram_enough)), std::string::npos) << message;
  in.vram_budget = vram_enough;
  EXPECT_NO_THROW(plan_tiers(in));

  in = shape_70b();
  in.pinned_budget = 100 * kMiB;  // less than the token embedding
  message = oom_message(in);
  const uint64_t pinned_enough = 500'000'000 + slots * largest;
  EXPECT_EQ(message.rfind("pinnedBudget " + bytes_text(100 * kMiB) + " is too small: the host-resident tensors (token_embd.weight, " +
                              bytes_text(500'000'000) + ") need " + bytes_text(500'000'000),
                          0),
            0u)
      << message;
  EXPECT_NE(message.find("use at least " + bytes_text(pinned_enough)), std::string::npos) << message;
  in.pinned_budget = pinned_enough;
  in.vram_budget = 2 * 640 * kMiB + 256 * kMiB;  // nothing resident, so every layer streams from storage
  in.vram_budget += slots * largest;
  EXPECT_NO_THROW(plan_tiers(in));

  in = shape_70b();
  in.pinned_budget = 1 * kGiB;  // the embedding fits, three tier-C staging buffers do not
  message = oom_message(in);
  EXPECT_EQ(message.rfind("pinnedBudget " + bytes_text(1 * kGiB) + " leaves ", 0), 0u) << message;
}

TEST(TierPlanner, BadInputsAreBadRequests) {
  TierPlanInput in = shape_70b();
  in.staging_slots = 2;
  try {
    plan_tiers(in);
    FAIL();
  } catch (const EngineError& e) {
    EXPECT_EQ(e.code(), "NT_E_BAD_REQUEST");
  }
  in = shape_70b();
  in.links.storage_gbps = 0;
  EXPECT_THROW(plan_tiers(in), EngineError);
}

// The ring's slack per slot comes off both budgets inside the planner, which reports the budgets
// as given (the model no longer writes them back over a plan made with smaller ones).
TEST(TierPlanner, ReportsTheBudgetsAsGivenAndKeepsTheSlotsSlackFree) {
  TierPlanInput in = shape_70b();
  in.slot_slack_bytes = 64 * kMiB;
  const TierPlan p = plan_tiers(in);
  EXPECT_EQ(p.vram_budget, in.vram_budget);
  EXPECT_EQ(p.pinned_budget, in.pinned_budget);
  const uint64_t slack = in.slot_slack_bytes * static_cast<uint64_t>(in.staging_slots);
  EXPECT_LE(p.vram_used + slack, in.vram_budget);
  EXPECT_LE(p.pinned_used + slack, in.pinned_budget);
  // A budget that only the slack overflows is too small, and the message says so.
  in.vram_budget = in.kv_bytes_per_sequence * 2 + in.activation_bytes + slack - 1;
  const std::string message = oom_message(in);
  EXPECT_NE(message.find("slack"), std::string::npos) << message;
}

TEST(TierPlanner, MoreVramNeverSlowsThePass) {
  for (uint64_t pinned : {64 * kGiB, 5 * kGiB}) {
    TierPlanInput in = shape_70b();
    in.pinned_budget = pinned;
    double last = 1e300;
    for (uint64_t vram = 5 * kGiB; vram <= 50 * kGiB; vram += 97 * kMiB) {
      in.vram_budget = vram;
      const TierPlan p = plan_tiers(in);
      EXPECT_LE(p.pass.ms(), last) << "vram " << vram << " pinned " << pinned;
      last = p.pass.ms();
    }
  }
}

TEST(TierPlanner, RandomShapesNeverExceedBudgets) {
  std::mt19937_64 rng(20261128);
  auto pick = [&](uint64_t lo, uint64_t hi) { return std::uniform_int_distribution<uint64_t>(lo, hi)(rng); };
  int planned = 0;
  for (int round = 0; round < 400; ++round) {
    TierPlanInput in;
    in.tensors.push_back({"token_embd.weight", pick(1, 64) * kMiB, -1, false});
    const int32_t n_layer = static_cast<int32_t>(pick(1, 16));
    for (int32_t l = 0; l < n_layer; ++l) add_layer(in.tensors, l, pick(1, 400) * kMiB, pick(0, 64) * 1024);
    if (pick(0, 1)) in.tensors.push_back({"output.weight", pick(1, 800) * kMiB, -1, true});
    in.tensors.push_back({"output_norm.weight", 16 * 1024, -1, true});
    in.vram_budget = pick(0, 8 * 1024) * kMiB;
    in.pinned_budget = pick(0, 8 * 1024) * kMiB;
    in.kv_bytes_per_sequence = pick(0, 256) * kMiB;
    in.n_sequences = static_cast<int32_t>(pick(1, 4));
    in.activation_bytes = pick(0, 128) * kMiB;
    in.staging_slots = static_cast<int32_t>(pick(3, 5));
    in.links = {static_cast<double>(pick(500, 4000)), static_cast<double>(pick(10, 64)),
                static_cast<double>(pick(1, 20))};
    try {
      const TierPlan p = plan_tiers(in);
      expect_within_budgets(in, p);
      ++planned;
      // More VRAM never hurts.
      in.vram_budget += pick(1, 2048) * kMiB;
      EXPECT_LE(plan_tiers(in).pass.ms(), p.pass.ms()) << "round " << round;
    } catch (const EngineError& e) {
      EXPECT_EQ(e.code(), "NT_E_OUT_OF_MEMORY") << e.what();
    }
  }
  EXPECT_GT(planned, 100);  // the generator must exercise real plans, not only refusals
}

TEST(TierPlanner, FormatListsEveryLayer) {
  TierPlanInput in = shape_70b();
  in.pinned_budget = 5 * kGiB;
  const TierPlan p = plan_tiers(in);
  const std::string text = format_tier_plan(p);
  for (int l = 0; l < 80; ++l) {
    EXPECT_NE(text.find("\nblk." + std::to_string(l) + " "), std::string::npos) << l;
  }
  for (const char* word : {"token_embd.weight", "output.weight", "total", "tok/s", "A+B+C"}) {
    EXPECT_NE(text.find(word), std::string::npos) << word;
  }
}

}  // namespace nt
