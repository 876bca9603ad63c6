#include "io/open_storage_reader.h"

#include <fcntl.h>

#include <cerrno>
#include <cstring>

#include "core/engine_error.h"

namespace nt {

std::unique_ptr<StorageReader> open_storage_reader(const ModelSource& s, const DirectReaderOptions& options) {
  if (!s.is_image()) return DirectReader::open(s.path, 0, options);
  const int fd = ::fcntl(s.fd, F_DUPFD_CLOEXEC, 0);
  if (fd < 0) throw EngineError(NT_E_IO, "cannot use the descriptor for " + s.label + ": " + std::strerror(errno));
  return DirectReader::adopt(fd, s.label, s.offset, options);
}

}  // namespace nt
