// nt-bench --json: one object with the build, the devices and, per model, the plan, the links,
// the bound and every test's samples and stage times. The device-report fields keep the shape
// nt-bench printed before it measured anything ("results" was an empty list then).
#pragma once

#include <cstdio>
#include <string>
#include <vector>

#include "backend/device_report.h"
#include "bench_result.h"

namespace nt::bench {

// `error` (an engine error's "<code>: <message>", empty when none) is printed as "error" so a
// run that stopped part-way still yields valid JSON with what it measured.
void print_json(std::FILE* out, const DeviceReport& report, const std::vector<ModelResult>& results,
                const std::string& error);

}  // namespace nt::bench
