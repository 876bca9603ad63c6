#include "io/storage_reader.h"

namespace nt {

void StorageReader::aligned_range(uint64_t offset, uint64_t bytes, uint64_t& aligned_offset,
                                  uint64_t& aligned_bytes) const {
  const uint64_t a = alignment();
  aligned_offset = offset / a * a;
  aligned_bytes = (offset + bytes + a - 1) / a * a - aligned_offset;
}

}  // namespace nt
