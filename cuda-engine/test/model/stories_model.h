// What the model tests share: where the TinyStories checkpoint is ($NT_TEST_DATA), and the CPU
// options the placement tests load it with (small context and batch; budgets in bytes, -1 for
// the engine's defaults).
#pragma once

#include <cstdint>
#include <string>

#include "model/model.h"
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

}  // namespace nt::test
