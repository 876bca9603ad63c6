#include "core/printf_text.h"

#include <cstdarg>
#include <cstdio>

namespace nt {

std::string printf_text(const char* format, ...) {
  char text[512];
  va_list args;
  va_start(args, format);
  std::vsnprintf(text, sizeof text, format, args);
  va_end(args);
  return text;
}

}  // namespace nt
