// What the model tests share: where the TinyStories checkpoint is ($NT_TEST_DATA), and the CPU
// options the placement tests load it with (small context and batch; budgets in bytes, -1 for
// the engine's defaults).
#pragma once

#include <algorithm>
#include <cstdint>
#include <string>

#include "model/model.h"
#include "model/plan_input.h"
#include "test_data.h"

namespace nt::test {

inline std::string stories_path() { return test_data_dir() + "/stories260K.gguf"; }

inline ModelOptions cpu_options(int64_t vram_budget, int64_t pinned_budget, int32_t staging_slots = 3) {
  ModelOptions o;
  o.backend = "cpu";
  o.threads = 2;
  o.n_ctx = 128;
  o.n_batch = 16;
  o.vram_budget = vram_budget;
  o.pinned_budget = pinned_budget;
  o.staging_slots = staging_slots;
  return o;
}

// CPU options whose budgets leave only the host-only tensors resident, from the plan of a load
// without limits: every block streams (5 staging slots of the largest layer).
inline ModelOptions everything_streams(const TierPlan& p) {
  uint64_t layer = 0;
  for (const PlanRow& r : p.rows) {
    if (r.layer >= 0) layer = std::max(layer, r.bytes.a + r.bytes.b + r.bytes.c);
  }
  const uint64_t mandatory = p.kv_bytes + p.activation_bytes + kSlotSlackBytes * 5;
  return cpu_options(static_cast<int64_t>(mandatory + 5 * layer),
                     static_cast<int64_t>(p.host_only_bytes + (5ull << 20) + 5 * layer), 5);
}

}  // namespace nt::test
