#include "sample_stats.h"

#include <cmath>

namespace nt::bench {

double mean_of(const std::vector<double>& xs) {
  if (xs.empty()) return 0;
  double sum = 0;
  for (double x : xs) sum += x;
  return sum / static_cast<double>(xs.size());
}

double sd_of(const std::vector<double>& xs) {
  if (xs.size() < 2) return 0;
  const double m = mean_of(xs);
  double sq = 0;
  for (double x : xs) sq += (x - m) * (x - m);
  return std::sqrt(sq / static_cast<double>(xs.size() - 1));
}

}  // namespace nt::bench
