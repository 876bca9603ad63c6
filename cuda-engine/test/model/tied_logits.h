// Random logits for the sampling tests: normal values on a grid of quarter steps, so that many
// are equal (ties must break by id everywhere), and about 3 % of them -inf.
#pragma once

#include <cmath>
#include <cstdint>
#include <random>
#include <vector>

namespace nt::test {

inline std::vector<float> tied_logits(int32_t n, std::mt19937& rng) {
  std::normal_distribution<float> normal(0.0f, 3.0f);
  std::uniform_int_distribution<int> percent(0, 99);
  std::vector<float> v(static_cast<size_t>(n));
  for (float& x : v) x = percent(rng) < 3 ? -INFINITY : std::round(normal(rng) * 4.0f) / 4.0f;
  return v;
}

}  // namespace nt::test
