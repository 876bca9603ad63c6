// Where tier C's bytes come from every pass (DESIGN §2): aligned ranges of the model's GGUF read
// straight into pinned buffers. The kinds of storage: `file` (the GGUF file) and `raw` (a GGUF
// image on a block device, through the helper's read-only fd), both read with O_DIRECT by
// DirectReader (open_storage_reader picks the kind for a model's source); `vfio` (the helper's
// NVMe queues writing into its DMA buffers: VfioReader, io/vfio_reader.h). The streamer and the
// link measurement see only this interface. A reader whose bytes land in buffers of its own (vfio)
// also offers them (own_buffers, read_through) so the streamer can upload from there directly.
#pragma once

#include <cstdint>

#include "io/slot_sink.h"

namespace nt {

class StorageReader {
 public:
  virtual ~StorageReader() = default;

  // The alignment offsets, sizes and buffers must have (the device's logical block size, at
  // least 512, normally 4096).
  virtual uint64_t alignment() const = 0;
  // False when reads go through the page cache after all (DirectReaderOptions::allow_buffered).
  virtual bool direct() const = 0;

  // Reads [offset, offset + bytes) of the GGUF into dst; dst, offset and bytes aligned to
  // alignment() (callers round the range out with aligned_range). Returns when all of it has
  // arrived; thread-safe. Throws EngineError NT_E_IO naming the storage, the offset and the
  // reason, NT_E_INTERNAL for a misaligned request.
  virtual void read(uint8_t* dst, uint64_t offset, uint64_t bytes) = 0;

  // The reader's own pinned-able buffers, when it reads into buffers of its own: `count` buffers
  // within [base, base + bytes). Empty (count 0) for the O_DIRECT readers, which read into the
  // caller's memory only.
  struct OwnBuffers {
    uint8_t* base = nullptr;
    uint64_t bytes = 0;
    uint32_t count = 0;
  };
  virtual OwnBuffers own_buffers() const { return {}; }
  // Reads [offset, offset + bytes) (aligned as for read) into the reader's own buffers, handing
  // each piece to `sink` as it arrives, and returns once every piece has arrived and every
  // upload the sink issued has finished reading its buffer (also when it throws). Only for a
  // reader with own_buffers(); the others throw NT_E_INTERNAL. Errors as for read.
  virtual void read_through(uint64_t offset, uint64_t bytes, SlotSink& sink);

  // Rounds [offset, offset + bytes) out to alignment(): the range read() accepts.
  void aligned_range(uint64_t offset, uint64_t bytes, uint64_t& aligned_offset, uint64_t& aligned_bytes) const;
};

}  // namespace nt
