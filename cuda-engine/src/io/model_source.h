// Where a model's bytes come from (DESIGN §2): a GGUF file (the file backend), or a GGUF image on
// a raw block device, handed over by the root helper as a read-only O_DIRECT fd with the image's
// offset and size (the raw backend). The fd is borrowed: the model dups what it keeps, so the
// caller may close it once the load returns. A dup shares the open file description, whose
// O_DIRECT flag the tier C reader sets where it is missing (the helper's fd has it already).
#pragma once

#include <cstdint>
#include <string>

namespace nt {

// The helper places images at 4096-byte boundaries: O_DIRECT reads need offsets aligned to the
// logical block size, 512 or 4096 on NVMe namespaces, so 4096 satisfies both.
constexpr uint64_t kImageAlignment = 4096;

struct ModelSource {
  bool from_image = false;
  std::string path;     // file: the GGUF file
  int fd = -1;          // image: the block device (or any file) holding the image; borrowed
  uint64_t offset = 0;  // image: where the GGUF starts in fd, a multiple of kImageAlignment
  uint64_t size = 0;    // image: the GGUF's length in bytes
  std::string label;    // image: its name in errors and status (the model's name)

  static ModelSource file(const std::string& path) {
    ModelSource s;
    s.path = path;
    return s;
  }
  static ModelSource image(int fd, uint64_t offset, uint64_t size, const std::string& label) {
    ModelSource s;
    s.from_image = true;
    s.fd = fd;
    s.offset = offset;
    s.size = size;
    s.label = label;
    return s;
  }

  bool is_image() const { return from_image; }
  const std::string& name() const { return is_image() ? label : path; }
};

}  // namespace nt
