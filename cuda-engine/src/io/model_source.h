// Where a model's bytes come from (DESIGN §2): a GGUF file (the file backend); a GGUF image on
// a raw block device, handed over by the root helper as a read-only O_DIRECT fd with the image's
// offset and size (the raw backend); or the helper's VFIO data-plane session for a placed image
// (the vfio backend): the sealed memfd of `open-dataplane` (protocol/helper/dataplaneRing.h) and
// the image's size, with no block device at all — header, resident tiers and tier C are all read
// through that one session. The fd is borrowed: the model dups or maps what it keeps, so the
// caller may close it once the load returns. A dup shares the open file description, whose
// O_DIRECT flag the tier C reader sets where it is missing (the helper's fd has it already).
#pragma once

#include <cstdint>
#include <string>

namespace nt {

// The helper places images at 4096-byte boundaries: O_DIRECT reads need offsets aligned to the
// logical block size, 512 or 4096 on NVMe namespaces, so 4096 satisfies both.
constexpr uint64_t kImageAlignment = 4096;

enum class SourceKind { File, Image, Vfio };

struct ModelSource {
  SourceKind kind = SourceKind::File;
  std::string path;     // file: the GGUF file
  int fd = -1;          // image: the block device (or any file) holding the image; vfio: the session's memfd; borrowed
  uint64_t offset = 0;  // image: where the GGUF starts in fd, a multiple of kImageAlignment
  uint64_t size = 0;    // image, vfio: the GGUF's length in bytes
  std::string label;    // image, vfio: its name in errors and status (the model's name)
  int timeout_ms = 0;   // vfio: how long a read waits for the helper's completion (0: VfioReaderOptions')
  std::string device;   // vfio: the drive behind the session (its PCI address), keying its measured speed

  static ModelSource file(const std::string& path) {
    ModelSource s;
    s.path = path;
    return s;
  }
  static ModelSource image(int fd, uint64_t offset, uint64_t size, const std::string& label) {
    ModelSource s;
    s.kind = SourceKind::Image;
    s.fd = fd;
    s.offset = offset;
    s.size = size;
    s.label = label;
    return s;
  }

  static ModelSource vfio(int memfd, uint64_t size, const std::string& label) {
    ModelSource s;
    s.kind = SourceKind::Vfio;
    s.fd = memfd;
    s.size = size;
    s.label = label;
    return s;
  }

  bool is_image() const { return kind == SourceKind::Image; }
  bool is_vfio() const { return kind == SourceKind::Vfio; }
  const std::string& name() const { return kind == SourceKind::File ? path : label; }
};

}  // namespace nt
