// Reads a GGUF header through a read-only mapping: only the pages the header spans are touched,
// so a 40 GB model costs a few MB of reads here. (If another process truncates the file while
// it is mapped, reading the lost pages raises SIGBUS; model files are not rewritten in place.)
#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "core/engine_error.h"
#include "gguf/gguf_file.h"

namespace nt {

namespace {

EngineError open_error(const std::string& path, int err) {
  const ErrorCode code = err == ENOENT ? NT_E_NOT_FOUND : NT_E_IO;
  return EngineError(code, "cannot open " + path + ": " + std::strerror(err));
}

class ReadOnlyMapping {
 public:
  explicit ReadOnlyMapping(const std::string& path) {
    const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) throw open_error(path, errno);
    struct stat st {};
    if (::fstat(fd, &st) != 0) {
      const int err = errno;
      ::close(fd);
      throw open_error(path, err);
    }
    if (!S_ISREG(st.st_mode)) {
      ::close(fd);
      throw EngineError(NT_E_IO, "cannot read " + path + ": not a regular file");
    }
    size_ = static_cast<uint64_t>(st.st_size);
    if (size_ > 0) {
      void* p = ::mmap(nullptr, size_, PROT_READ, MAP_PRIVATE, fd, 0);
      if (p == MAP_FAILED) {
        const int err = errno;
        ::close(fd);
        throw EngineError(NT_E_IO, "cannot map " + path + ": " + std::strerror(err));
      }
      bytes_ = static_cast<const uint8_t*>(p);
    }
    ::close(fd);  // the mapping keeps the file alive
  }
  ~ReadOnlyMapping() {
    if (bytes_) ::munmap(const_cast<uint8_t*>(bytes_), size_);
  }
  ReadOnlyMapping(const ReadOnlyMapping&) = delete;
  ReadOnlyMapping& operator=(const ReadOnlyMapping&) = delete;

  const uint8_t* bytes() const { return bytes_; }
  uint64_t size() const { return size_; }

 private:
  const uint8_t* bytes_ = nullptr;
  uint64_t size_ = 0;
};

}  // namespace

GgufFile read_gguf_file(const std::string& path) {
  ReadOnlyMapping mapping(path);
  try {
    return parse_gguf(mapping.bytes(), mapping.size());
  } catch (const EngineError& e) {
    throw EngineError(e.error_code(), path + ": " + e.what());
  }
}

}  // namespace nt
