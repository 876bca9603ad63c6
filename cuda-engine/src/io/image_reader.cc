#include "io/image_reader.h"

#include <fcntl.h>
#include <linux/fs.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <cstring>

#include "core/engine_error.h"

namespace nt {

namespace {

// O_DIRECT needs offsets, lengths and buffers aligned to the logical block size: 512 or 4096 on
// NVMe namespaces and current disks, so 4096 satisfies both.
constexpr uint64_t kAlign = 4096;
constexpr uint64_t kBounceBytes = 4ull << 20;

std::string errno_text(int err) { return std::strerror(err); }

[[noreturn]] void throw_io(const std::string& message) { throw EngineError(NT_E_IO, message); }

// Bytes readable from offset 0: a regular file's length, a block device's capacity.
uint64_t readable_bytes(int fd, const std::string& what) {
  struct stat st {};
  if (::fstat(fd, &st) != 0) throw_io("cannot stat " + what + ": " + errno_text(errno));
  if (S_ISREG(st.st_mode)) return static_cast<uint64_t>(st.st_size);
  if (!S_ISBLK(st.st_mode)) throw_io(what + " is neither a regular file nor a block device");
  uint64_t size = 0;
  if (::ioctl(fd, BLKGETSIZE64, &size) != 0) throw_io("cannot read the size of " + what + ": " + errno_text(errno));
  return size;
}

}  // namespace

std::unique_ptr<ImageReader> ImageReader::borrow(int fd, uint64_t base, uint64_t size, const std::string& what) {
  const int own = ::fcntl(fd, F_DUPFD_CLOEXEC, 0);
  if (own < 0) throw_io("cannot use the descriptor for " + what + ": " + errno_text(errno));
  std::unique_ptr<ImageReader> reader(new ImageReader(own, base, size, what));
  const uint64_t readable = readable_bytes(own, what);
  if (base > readable || size > readable - base) {
    throw_io("the image of " + std::to_string(size) + " bytes at offset " + std::to_string(base) + " runs past the end of " +
             what + " (" + std::to_string(readable) + " bytes)");
  }
  return reader;
}

std::unique_ptr<ImageReader> ImageReader::over(StorageReader& storage, uint64_t size, const std::string& what) {
  const uint64_t block = storage.alignment();
  if (block == 0 || kBounceBytes % block != 0) {
    throw EngineError(NT_E_INTERNAL, what + ": a block size of " + std::to_string(block) + " bytes does not divide the read buffer");
  }
  std::unique_ptr<ImageReader> reader(new ImageReader(-1, 0, size, what));
  reader->storage_ = &storage;
  reader->block_ = block;
  return reader;
}

std::unique_ptr<ImageReader> ImageReader::open(const std::string& path) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    throw EngineError(errno == ENOENT ? NT_E_NOT_FOUND : NT_E_IO, "cannot open " + path + ": " + errno_text(errno));
  }
  std::unique_ptr<ImageReader> reader(new ImageReader(fd, 0, 0, path));
  reader->size_ = readable_bytes(fd, path);
  return reader;
}

ImageReader::ImageReader(int fd, uint64_t base, uint64_t size, std::string what)
    : fd_(fd), block_(kAlign), base_(base), size_(size), what_(std::move(what)) {}

ImageReader::~ImageReader() {
  if (fd_ >= 0) ::close(fd_);
  std::free(bounce_);
}

void ImageReader::read(uint8_t* dst, uint64_t offset, uint64_t bytes) {
  if (offset > size_ || bytes > size_ - offset) {
    throw_io("cannot read " + what_ + ": " + std::to_string(bytes) + " bytes at offset " + std::to_string(offset) +
             " run past the end of the image (" + std::to_string(size_) + " bytes)");
  }
  if (!bounce_) bounce_ = static_cast<uint8_t*>(std::aligned_alloc(kAlign, kBounceBytes));
  if (!bounce_) throw EngineError(NT_E_OUT_OF_MEMORY, "cannot allocate a read buffer for " + what_);
  for (uint64_t done = 0; done < bytes;) {
    const uint64_t absolute = base_ + offset + done;
    const uint64_t start = absolute / block_ * block_;
    const uint64_t skip = absolute - start;
    const uint64_t n = std::min(bytes - done, kBounceBytes - skip);
    read_blocks(start, std::min(kBounceBytes, (skip + n + block_ - 1) / block_ * block_), skip + n);
    std::memcpy(dst + done, bounce_ + skip, n);
    done += n;
  }
}

// preads `bytes` (whole blocks) at `absolute` into the bounce buffer, of which the first `needed`
// matter: the last block of a file may be short, and O_DIRECT cannot go on from mid-block. A
// storage reader delivers whole blocks or throws (the data plane pads the image's last block).
void ImageReader::read_blocks(uint64_t absolute, uint64_t bytes, uint64_t needed) {
  if (storage_ != nullptr) {
    storage_->read(bounce_, absolute, bytes);
    return;
  }
  uint64_t got = 0;
  while (got < needed) {
    const ssize_t n = ::pread(fd_, bounce_ + got, bytes - got, static_cast<off_t>(absolute + got));
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) throw_io("cannot read " + what_ + " at offset " + std::to_string(absolute + got) + ": " + errno_text(errno));
    if (n == 0) break;
    got += static_cast<uint64_t>(n);
    if (got % kAlign != 0) break;
  }
  if (got < needed) {
    throw_io("cannot read " + what_ + " at offset " + std::to_string(absolute + got) + ": short read (" +
             std::to_string(got) + " of " + std::to_string(needed) + " bytes)");
  }
}

}  // namespace nt
