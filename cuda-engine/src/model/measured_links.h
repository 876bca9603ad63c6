// Link speeds for the planner, measured once per process for each (device kind, storage device)
// pair: a load should not spend a second re-measuring what the previous load just measured.
#pragma once

#include <string>

#include "backend/stream_device.h"
#include "io/model_source.h"
#include "io/storage_reader.h"
#include "tier/tier_plan.h"

namespace nt {

// `source` is the model's file or image: the storage device holding it (a file's filesystem, an
// image's block device) is part of the key; reader reads it.
LinkSpeeds measured_links(StreamDevice& device, StorageReader& reader, const ModelSource& source, uint64_t data_offset,
                          uint64_t data_bytes);

}  // namespace nt
