// The two JSON leaves nt-bench writes by hand: strings and numbers.
#pragma once

#include <string>

namespace nt::bench {

std::string json_string(const std::string& s);  // quoted and escaped (control characters as \u00XX)
std::string json_number(double value);          // shortest round-trip text; null when not finite
std::string json_bool(bool value);

}  // namespace nt::bench
