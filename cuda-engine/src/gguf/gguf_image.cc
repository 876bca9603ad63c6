// Reads a GGUF header from an image on a block device (the raw backend, DESIGN §2) or behind the
// VFIO data plane (the vfio backend) with reads rather than mmap: a media error then fails the load with NT_E_IO instead of a SIGBUS that would
// kill the daemon, and it works on descriptors that cannot be mapped (NVMe generic char devices).
// The header's length is unknown until parsed, so the prefix in memory grows until the parser,
// which checks every length against the whole image, stops asking for more.
#include <algorithm>
#include <vector>

#include "core/engine_error.h"
#include "gguf/gguf_file.h"
#include "io/image_reader.h"

namespace nt {

namespace {

constexpr uint64_t kFirstReadBytes = 1ull << 20;  // holds the header of most models
// Vocabularies of 256k tokens make headers of ~10 MB; a header claiming more than this is hostile.
constexpr uint64_t kMaxHeaderBytes = 1ull << 30;

GgufFile read_gguf_prefix_from(ImageReader& reader, uint64_t size, const std::string& label) {
  std::vector<uint8_t> head;
  uint64_t want = std::min(size, kFirstReadBytes);
  for (;;) {
    const uint64_t have = head.size();
    head.resize(want);
    reader.read(head.data() + have, have, want - have);
    try {
      return parse_gguf_prefix(head.data(), head.size(), size);
    } catch (const GgufPrefixShort& more) {
      want = std::min(size, std::max(more.needed, 2 * want));
      if (want > kMaxHeaderBytes) {
        throw bad_gguf(label + ": the GGUF header needs more than " + std::to_string(kMaxHeaderBytes) + " bytes");
      }
    } catch (const EngineError& e) {
      throw EngineError(e.error_code(), label + ": " + e.what());
    }
  }
}

}  // namespace

GgufFile read_gguf_image(int fd, uint64_t offset, uint64_t size, const std::string& label) {
  const std::unique_ptr<ImageReader> reader = ImageReader::borrow(fd, offset, size, label);
  return read_gguf_prefix_from(*reader, size, label);
}

GgufFile read_gguf_image(StorageReader& storage, uint64_t size, const std::string& label) {
  const std::unique_ptr<ImageReader> reader = ImageReader::over(storage, size, label);
  return read_gguf_prefix_from(*reader, size, label);
}

}  // namespace nt
