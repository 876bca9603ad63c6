// Mean and standard deviation of repeated measurements, as llama-bench reports them.
#pragma once

#include <vector>

namespace nt::bench {

double mean_of(const std::vector<double>& xs);

// The sample standard deviation (n - 1 in the denominator, as llama-bench); 0 for fewer than two.
double sd_of(const std::vector<double>& xs);

}  // namespace nt::bench
