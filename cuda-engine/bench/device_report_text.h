// The device report as text: what nt-bench prints without -m, and with --devices.
#pragma once

#include <cstdio>

#include "backend/device_report.h"

namespace nt::bench {

void print_device_text(std::FILE* out, const DeviceReport& report);

}  // namespace nt::bench
