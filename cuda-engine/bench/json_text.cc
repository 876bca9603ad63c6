#include "json_text.h"

#include <cmath>
#include <cstdio>
#include <cstdlib>

namespace nt::bench {

std::string json_string(const std::string& s) {
  std::string out = "\"";
  for (char c : s) {
    const unsigned char u = static_cast<unsigned char>(c);
    if (c == '"' || c == '\\') {
      out += '\\';
      out += c;
    } else if (u < 0x20) {
      char escaped[8];
      std::snprintf(escaped, sizeof escaped, "\\u%04x", u);
      out += escaped;
    } else {
      out += c;
    }
  }
  return out + "\"";
}

std::string json_number(double value) {
  // JSON has no NaN or Infinity; a figure that is not finite was not measured.
  if (!std::isfinite(value)) return "null";
  char text[32];
  for (int precision = 6; precision <= 17; ++precision) {
    std::snprintf(text, sizeof text, "%.*g", precision, value);
    if (std::strtod(text, nullptr) == value) break;
  }
  return text;
}

std::string json_bool(bool value) { return value ? "true" : "false"; }

}  // namespace nt::bench
