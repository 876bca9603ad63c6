#include "io/open_storage_reader.h"

#include <fcntl.h>

#include <cerrno>
#include <cstring>

#include "core/engine_error.h"
#include "io/vfio_reader.h"

namespace nt {

namespace {

// The session's memfd is mapped, not kept: the reader owns the session from here on (closing it
// ends the helper's side). Its image must be the one the caller asked for, by size at least.
std::unique_ptr<StorageReader> open_vfio(const ModelSource& s) {
  VfioReaderOptions options;
  if (s.timeout_ms > 0) options.completion_timeout_ms = s.timeout_ms;
  std::unique_ptr<VfioReader> reader = VfioReader::map(s.fd, s.label, options);
  if (reader->image_bytes() != s.size) {
    throw EngineError(NT_E_BAD_REQUEST, "the VFIO data-plane session for " + s.label + " serves an image of " +
                                            std::to_string(reader->image_bytes()) + " bytes, not the " +
                                            std::to_string(s.size) + " asked for");
  }
  return reader;
}

}  // namespace

std::unique_ptr<StorageReader> open_storage_reader(const ModelSource& s, const DirectReaderOptions& options) {
  if (s.is_vfio()) return open_vfio(s);
  if (!s.is_image()) return DirectReader::open(s.path, 0, options);
  const int fd = ::fcntl(s.fd, F_DUPFD_CLOEXEC, 0);
  if (fd < 0) throw EngineError(NT_E_IO, "cannot use the descriptor for " + s.label + ": " + std::strerror(errno));
  return DirectReader::adopt(fd, s.label, s.offset, options);
}

}  // namespace nt
