#pragma once

#include <cstdint>

namespace nt {

// The sampling knobs of llama.cpp / Ollama, with their usual defaults.
struct SamplingParams {
  float temperature = 0.8f;        // <= 0: greedy (argmax after penalties)
  int32_t top_k = 40;              // <= 0: off
  float top_p = 0.95f;             // >= 1: off
  float min_p = 0.05f;             // <= 0: off
  float repeat_penalty = 1.0f;     // 1: off
  float frequency_penalty = 0.0f;
  float presence_penalty = 0.0f;
  int32_t penalty_last_n = 64;     // how many recent tokens the penalties look at
  uint64_t seed = 0;
};

}  // namespace nt
