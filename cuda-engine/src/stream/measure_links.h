// The link speeds the tier planner's cost model needs (tier_plan.h), measured on this machine in
// this process: device-memory read, pinned host→device copy, and O_DIRECT storage read of the
// model file itself. Printed next to every benchmark figure as its bound (DESIGN §3).
#pragma once

#include <cstdint>

#include "backend/stream_device.h"
#include "io/storage_reader.h"
#include "tier/tier_plan.h"

namespace nt {

struct LinkMeasureOptions {
  uint64_t bytes = 256ull << 20;  // per measurement; the copies and reads are repeated and the best kept
  int repeats = 3;
  // The storage read, when it should be longer than `bytes` (0: `bytes`). A disk's short-read
  // figure understates what the streamer sustains over a pass of gigabytes.
  uint64_t storage_bytes = 0;
};

// Each figure in GB/s (1e9 B/s). storage is measured by reading up to `storage_bytes` (or
// `bytes`) of the reader's file from `file_offset` (the tensor data section); with no reader it
// is left 0.
LinkSpeeds measure_links(StreamDevice& device, StorageReader* reader, uint64_t file_offset, uint64_t file_bytes,
                         const LinkMeasureOptions& options);

}  // namespace nt
