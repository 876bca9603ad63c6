# Tier planner: which tensors stay in VRAM (A), in pinned host RAM (B), or stream from storage (C).
set(NT_TIER_SOURCES
  plan_tiers.cc
  format_tier_plan.cc
)
set(NT_TIER_TEST_SOURCES
  test/tier/tier_planner_test.cc
)
