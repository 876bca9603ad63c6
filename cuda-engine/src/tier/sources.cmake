# Tier planner: which tensors stay in VRAM (A), in pinned host RAM (B), or stream from storage (C).
set(NT_TIER_SOURCES
  plan_tiers.cc
  plan_shape.cc
  assign_dual.cc
  dual_split.cc
  format_tier_plan.cc
)
set(NT_TIER_TEST_SOURCES
  test/tier/tier_planner_test.cc
  test/tier/dual_split_test.cc
)
