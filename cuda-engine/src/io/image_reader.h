// Ordinary reads of a GGUF held in a file, in a raw image on a block device, or behind the VFIO
// data plane (DESIGN §2): the header and the resident tiers at load time, not the streamed tier C
// (a StorageReader does that). The fd may carry O_DIRECT — the helper's open-image fd always
// does, and DirectReader::adopt sets it on the open file description a dup shares — so every read
// is of whole aligned blocks into an aligned bounce buffer, and the wanted bytes are copied out:
// loading is not the hot path. The data plane has no fd to read: there the blocks come through
// the model's one StorageReader of the session (over()), in its own block size.
#pragma once

#include <cstdint>
#include <memory>
#include <string>

#include "io/storage_reader.h"

namespace nt {

class ImageReader {
 public:
  // Reads the `size` bytes at `base` of fd through its own dup: the caller keeps (and closes) fd.
  // Throws EngineError NT_E_IO when fd is unreadable or the image runs past its end.
  static std::unique_ptr<ImageReader> borrow(int fd, uint64_t base, uint64_t size, const std::string& what);
  // The whole regular file at path. Throws NT_E_NOT_FOUND / NT_E_IO naming it.
  static std::unique_ptr<ImageReader> open(const std::string& path);
  // The `size`-byte GGUF that `storage` reads (offsets GGUF-relative). Borrowed: storage must
  // outlive this reader. Its read errors pass through unchanged.
  static std::unique_ptr<ImageReader> over(StorageReader& storage, uint64_t size, const std::string& what);
  ~ImageReader();
  ImageReader(const ImageReader&) = delete;
  ImageReader& operator=(const ImageReader&) = delete;

  uint64_t size() const { return size_; }

  // Copies [offset, offset + bytes) of the image into dst (no alignment needed). Throws
  // EngineError NT_E_IO naming the image and the offset (a range past its end included).
  void read(uint8_t* dst, uint64_t offset, uint64_t bytes);

 private:
  ImageReader(int fd, uint64_t base, uint64_t size, std::string what);
  void read_blocks(uint64_t absolute, uint64_t bytes, uint64_t needed);

  int fd_;
  StorageReader* storage_ = nullptr;  // over(): the blocks come from here, not from fd_
  uint64_t block_;                    // reads are of whole blocks of this size
  uint64_t base_;
  uint64_t size_;
  std::string what_;
  uint8_t* bounce_ = nullptr;
};

}  // namespace nt
