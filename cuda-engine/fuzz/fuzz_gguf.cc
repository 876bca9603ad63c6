// libFuzzer target for the GGUF reader. A clean EngineError is the expected answer to garbage;
// anything else — a sanitizer report, an uncaught exception (bad_alloc included: the reader must
// not allocate more than the input justifies), a timeout — is a finding.
#include <cstddef>
#include <cstdint>

#include "core/engine_error.h"
#include "gguf/gguf_file.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  try {
    const nt::GgufFile file = nt::parse_gguf(data, size);
    // Touch what a caller would: every tensor lies inside the input.
    for (const auto& t : file.tensors) {
      if (file.data_offset + t.offset + t.bytes > size) __builtin_trap();
    }
  } catch (const nt::EngineError&) {
  }
  return 0;
}
