// printf into a std::string, for the tables the planner and the benchmarks print (one line of at
// most 511 characters; longer output is cut).
#pragma once

#include <string>

namespace nt {

std::string printf_text(const char* format, ...) __attribute__((format(printf, 1, 2)));

}  // namespace nt
