// Where a reader that reads into buffers of its own (the vfio data plane's slots, registered with
// the device) hands each piece of a range as it arrives, so the streamer uploads straight from
// there and no host copy is made (StorageReader::read_through). The reader refills a buffer only
// after wait_slot says every upload issued from it has read it.
#pragma once

#include <cstdint>

namespace nt {

class SlotSink {
 public:
  virtual ~SlotSink() = default;
  // Bytes [at, at + bytes) of the requested range have arrived at src, inside the reader's buffer
  // `slot`: issue their upload (it may still be running on return).
  virtual void arrived(uint32_t slot, uint64_t at, const uint8_t* src, uint64_t bytes) = 0;
  // Returns once everything arrived() issued from `slot` has finished reading it.
  virtual void wait_slot(uint32_t slot) = 0;
};

}  // namespace nt
