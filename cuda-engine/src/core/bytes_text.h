// Sizes for humans and error messages: "512.00 MiB", "23.50 GiB".
#pragma once

#include <cstdint>
#include <string>

namespace nt {

std::string bytes_text(uint64_t bytes);

}  // namespace nt
