#include "parse_size.h"

#include <cctype>
#include <cmath>
#include <cstdlib>
#include <stdexcept>

namespace nt::bench {

namespace {

// The multiplier of a unit, or 0 for text that is not one.
double unit_factor(std::string unit) {
  static const struct { const char* name; double factor; } kUnits[] = {
      {"", 1}, {"b", 1},
      {"kib", 1024.0}, {"mib", 1048576.0}, {"gib", 1073741824.0}, {"tib", 1099511627776.0},
      {"kb", 1e3}, {"mb", 1e6}, {"gb", 1e9}, {"tb", 1e12},
  };
  for (char& c : unit) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  for (const auto& entry : kUnits) {
    if (unit == entry.name) return entry.factor;
  }
  return 0;
}

// The length of a leading "123", "1.5" or ".5"; 0 when the text does not start with one.
size_t number_length(const std::string& text) {
  size_t i = 0, digits = 0;
  while (i < text.size() && std::isdigit(static_cast<unsigned char>(text[i]))) ++i, ++digits;
  if (i < text.size() && text[i] == '.') {
    size_t fraction = 0;
    while (i + 1 + fraction < text.size() && std::isdigit(static_cast<unsigned char>(text[i + 1 + fraction]))) {
      ++fraction;
    }
    if (fraction == 0) return 0;  // "1." is not a number here, as in parseByteSize.ts
    i += 1 + fraction;
    digits += fraction;
  }
  return digits > 0 ? i : 0;
}

}  // namespace

int64_t parse_size(const std::string& text) {
  if (text == "auto") return -1;
  const std::string expected = "'" + text + "' is not a size: give bytes, or a number with KiB, MiB, GiB, TiB "
                               "(x1024) or KB, MB, GB, TB (x1000), e.g. 24GiB; or auto";
  const size_t length = number_length(text);
  if (length == 0) throw std::invalid_argument(expected);
  const double value = std::strtod(text.substr(0, length).c_str(), nullptr);
  size_t unit_start = length;
  while (unit_start < text.size() && text[unit_start] == ' ') ++unit_start;  // "512 MiB", as bytes_text prints
  const double factor = unit_factor(text.substr(unit_start));
  if (factor == 0) throw std::invalid_argument(expected);
  if (factor == 1 && value != std::floor(value)) {
    throw std::invalid_argument("'" + text + "' is not a whole number of bytes");
  }
  const double bytes = std::floor(value * factor);
  // 2^62 bytes is far beyond any budget and keeps the conversion to int64_t exact.
  if (!(bytes < 4.6e18)) throw std::invalid_argument("'" + text + "' is too large");
  return static_cast<int64_t>(bytes);
}

}  // namespace nt::bench
