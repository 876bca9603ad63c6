// The `file` and `raw` storage readers (io/storage_reader.h): byte ranges of a model file (or of
// a block device at an image offset) read straight into pinned buffers with O_DIRECT: aligned
// offsets, lengths and buffers, several requests in flight on a small pool of I/O threads, never
// through the page cache or mmap (DESIGN §2, tier C).
//
// A filesystem that refuses O_DIRECT (tmpfs, some overlays) is not silently read through the page
// cache: open() fails with NT_E_IO saying so, unless allow_buffered is set, in which case the
// reader falls back to pread and direct() says false (status and bench print it).
#pragma once

#include <cstdint>
#include <memory>
#include <string>

#include "io/storage_reader.h"

namespace nt {

struct DirectReaderOptions {
  int io_threads = 4;                      // requests in flight
  uint64_t request_bytes = 4ull << 20;     // one pread's size; a range is split into these
  bool allow_buffered = false;             // fall back to buffered reads where O_DIRECT is refused
};

class DirectReader : public StorageReader {
 public:
  // Opens `path` read-only. base_offset is added to every read (a raw image's start on a block
  // device; 0 for a file). Throws EngineError NT_E_NOT_FOUND / NT_E_IO naming the path and errno.
  static std::unique_ptr<DirectReader> open(const std::string& path, uint64_t base_offset,
                                            const DirectReaderOptions& options);
  // Takes ownership of an already open fd (the helper's open-image fd for the raw backend), also
  // when it throws (the fd is then closed). Sets O_DIRECT on it where it lacks it.
  static std::unique_ptr<DirectReader> adopt(int fd, const std::string& what, uint64_t base_offset,
                                             const DirectReaderOptions& options);
  ~DirectReader() override;
  DirectReader(const DirectReader&) = delete;
  DirectReader& operator=(const DirectReader&) = delete;

  uint64_t alignment() const override;
  bool direct() const override;

  // Reads [offset, offset + bytes) of the file into dst, which must be aligned to alignment(), as
  // must offset and bytes (callers round the range out). Splits the range into request_bytes
  // pieces read concurrently by the I/O threads and returns when all have arrived. Thread-safe.
  // Throws EngineError NT_E_IO naming the file, the offset and errno (short reads included), and
  // NT_E_INTERNAL for a misaligned request. The range may run into the padding of the file's last
  // block (a last tensor ending mid-block, rounded out): those bytes read as zeros.
  void read(uint8_t* dst, uint64_t offset, uint64_t bytes) override;

 private:
  struct State;
  explicit DirectReader(std::unique_ptr<State> state);
  std::unique_ptr<State> state_;
};

}  // namespace nt
