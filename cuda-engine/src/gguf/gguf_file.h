// The parsed header of a GGUF file: metadata and the tensor table. Weights are not read here;
// each tensor carries where its bytes are, already checked to lie inside the file.
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "gguf/gguf_value.h"
#include "io/storage_reader.h"

namespace nt {

struct GgufKeyValue {
  std::string key;
  GgufValue value;
};

struct GgufTensorInfo {
  std::string name;
  uint32_t type = 0;                    // a GgmlType id the engine supports
  uint32_t n_dims = 0;                  // 1..4
  std::array<uint64_t, 4> ne{1, 1, 1, 1};  // elements per dimension, innermost first
  uint64_t offset = 0;                  // from the start of the data section
  uint64_t bytes = 0;

  uint64_t element_count() const { return ne[0] * ne[1] * ne[2] * ne[3]; }
};

// The reader's bound on what metadata may take in memory: at most kMetadataMemoryPerByte bytes
// per byte of metadata read, plus kMetadataMemorySlack. Real files take about 2 (a vocabulary's
// short strings); an empty nested array takes 104 bytes in memory for its 12 in the file, so a
// file of a few hundred MB of them would otherwise cost gigabytes.
constexpr uint64_t kMetadataMemoryPerByte = 4;
constexpr uint64_t kMetadataMemorySlack = uint64_t{1} << 20;

struct GgufFile {
  uint32_t version = 0;
  uint32_t alignment = 32;  // general.alignment, 32 when absent
  uint64_t data_offset = 0; // absolute offset of the data section
  uint64_t file_bytes = 0;
  uint64_t metadata_bytes = 0;   // bytes of the file the metadata was read from
  uint64_t metadata_memory = 0;  // what the metadata holds in memory, as the reader accounts it
  std::vector<GgufKeyValue> metadata;
  std::vector<GgufTensorInfo> tensors;

  // The entry for key, or nullptr.
  const GgufValue* find(std::string_view key) const;
};

// Parses a whole GGUF file held in memory. Throws EngineError (NT_E_BAD_GGUF or
// NT_E_UNSUPPORTED) with a message naming the offending key, tensor or offset. Every length and
// count is checked against the bytes that remain before anything is allocated for it, and the
// metadata's memory against kMetadataMemoryPerByte (NT_E_BAD_GGUF naming the key that passes it).
GgufFile parse_gguf(const uint8_t* bytes, uint64_t size);

// Thrown by parse_gguf_prefix when the header runs past the bytes in memory: read up to `needed`
// (from the file's start) and parse again. Not an EngineError: it never leaves the reader.
struct GgufPrefixShort {
  uint64_t needed = 0;
};

// parse_gguf of a `size`-byte file of which only the first `available` bytes are in memory: the
// same checks against the whole file, or GgufPrefixShort when the header needs more bytes.
GgufFile parse_gguf_prefix(const uint8_t* bytes, uint64_t available, uint64_t size);

// Maps the file read-only, parses it, unmaps it. Throws EngineError (NT_E_NOT_FOUND, NT_E_IO,
// or the parser's codes).
GgufFile read_gguf_file(const std::string& path);

// Reads the GGUF image of `size` bytes at `offset` of fd (the raw backend's block device, DESIGN
// §2), with pread: the fd may be O_DIRECT and is only borrowed. `label` names the image in errors.
// Throws EngineError NT_E_IO (the fd is unreadable, the image runs past its end) or the parser's.
GgufFile read_gguf_image(int fd, uint64_t offset, uint64_t size, const std::string& label);

// The same through a storage reader of the `size`-byte GGUF (the vfio backend's session, which
// has no fd to pread): the header is read as whole blocks of the reader's size.
GgufFile read_gguf_image(StorageReader& storage, uint64_t size, const std::string& label);

}  // namespace nt
