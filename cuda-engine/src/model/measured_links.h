// Link speeds for the planner, measured once per process for each (device kind, storage device)
// pair: a load should not spend a second re-measuring what the previous load just measured.
#pragma once

#include <string>

#include "io/direct_reader.h"
#include "stream/stream_device.h"
#include "tier/tier_plan.h"

namespace nt {

// `path` names the model file (its filesystem's device is part of the key); reader reads it.
LinkSpeeds measured_links(StreamDevice& device, DirectReader& reader, const std::string& path, uint64_t data_offset,
                          uint64_t data_bytes);

}  // namespace nt
