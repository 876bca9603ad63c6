// A bounds-checked little-endian reader over an in-memory file. Every read states how many bytes
// it needs first, so a hostile length can never move the cursor past the end.
//
// The bytes in memory may be only a prefix of the file (a header read with pread from an image):
// lengths are still checked against the whole file, so the parse is the same as the file's, and
// a read past the prefix throws GgufPrefixShort saying how much more the caller must read.
#pragma once

#include <cstdint>
#include <cstring>
#include <string>

#include "core/engine_error.h"
#include "gguf/gguf_file.h"

namespace nt {

class ByteCursor {
 public:
  ByteCursor(const uint8_t* bytes, uint64_t size) : bytes_(bytes), available_(size), size_(size) {}
  // `available` bytes of a `size`-byte file are in memory.
  ByteCursor(const uint8_t* bytes, uint64_t available, uint64_t size)
      : bytes_(bytes), available_(available), size_(size) {}

  uint64_t offset() const { return offset_; }
  uint64_t remaining() const { return size_ - offset_; }

  // Throws unless n more bytes exist; `what` names the field in the error.
  void require(uint64_t n, const char* what) const {
    if (n > remaining()) {
      throw bad_gguf(std::string("truncated: ") + what + " needs " + std::to_string(n) +
                     " bytes at offset " + std::to_string(offset_) + ", but the file is " +
                     std::to_string(size_) + " bytes");
    }
    if (offset_ + n > available_) throw GgufPrefixShort{offset_ + n};
  }

  template <typename T>
  T read(const char* what) {
    require(sizeof(T), what);
    T value;
    std::memcpy(&value, bytes_ + offset_, sizeof(T));  // x86-64 and arm64 are little-endian
    offset_ += sizeof(T);
    return value;
  }

  const uint8_t* take(uint64_t n, const char* what) {
    require(n, what);
    const uint8_t* start = bytes_ + offset_;
    offset_ += n;
    return start;
  }

 private:
  const uint8_t* bytes_;
  uint64_t available_;
  uint64_t size_;
  uint64_t offset_ = 0;
};

}  // namespace nt
