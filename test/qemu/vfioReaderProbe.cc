// The engine's VfioReader (cuda-engine/src/io/vfio_reader.h) against the real nt-nvme-helper in
// the QEMU guest (guestVfioProof.ts): maps the session's memfd (fd 3), reads the whole image in
// 1 MiB ranges and writes it to stdout; on an EngineError prints "error CODE: MESSAGE" on stderr
// and exits 3. Built by scripts/qemu/runVfioProof.sh with the reader's own source.
//   vfioReaderProbe TIMEOUT_MS
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <vector>

#include "core/engine_error.h"
#include "io/vfio_reader.h"

int main(int argc, char** argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: vfioReaderProbe TIMEOUT_MS (the data-plane memfd as fd 3)\n");
    return 2;
  }
  try {
    nt::VfioReaderOptions options;
    options.completion_timeout_ms = std::atoi(argv[1]);
    auto reader = nt::VfioReader::map(3, "the probe's session", options);
    const uint64_t block = reader->alignment();
    const uint64_t whole = (reader->image_bytes() + block - 1) / block * block;
    std::vector<uint8_t> buffer(1 << 20);
    for (uint64_t at = 0; at < whole; at += buffer.size()) {
      const uint64_t bytes = std::min<uint64_t>(buffer.size(), whole - at);
      reader->read(buffer.data(), at, bytes);
      const uint64_t useful = std::min<uint64_t>(bytes, reader->image_bytes() - at);
      if (std::fwrite(buffer.data(), 1, useful, stdout) != useful) return 2;
    }
    return 0;
  } catch (const nt::EngineError& e) {
    std::fprintf(stderr, "error %s: %s\n", e.code().c_str(), e.what());
    return 3;
  }
}
