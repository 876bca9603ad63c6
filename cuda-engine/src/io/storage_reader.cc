#include "io/storage_reader.h"

#include "core/engine_error.h"

namespace nt {

void StorageReader::aligned_range(uint64_t offset, uint64_t bytes, uint64_t& aligned_offset,
                                  uint64_t& aligned_bytes) const {
  const uint64_t a = alignment();
  aligned_offset = offset / a * a;
  aligned_bytes = (offset + bytes + a - 1) / a * a - aligned_offset;
}

void StorageReader::read_through(uint64_t, uint64_t, SlotSink&) {
  throw EngineError(NT_E_INTERNAL, "read_through on a storage reader without buffers of its own");
}

}  // namespace nt
