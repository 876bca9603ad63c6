// nt-bench's parser on a command line given as words (the program name is added), for the bench
// tests.
#pragma once

#include <string>
#include <vector>

#include "bench_args.h"

namespace nt::bench::test {

inline BenchArgs parse(std::vector<std::string> words) {
  words.insert(words.begin(), "nt-bench");
  std::vector<char*> argv;
  for (std::string& w : words) argv.push_back(w.data());
  return parse_bench_args(static_cast<int>(argv.size()), argv.data());
}

}  // namespace nt::bench::test
