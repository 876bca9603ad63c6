// Builds GGUF bytes field by field, so parser tests can state exactly what a file holds,
// including what no honest writer would produce (wrong counts, bad offsets, garbage types).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace nt::test {

class GgufBytes {
 public:
  GgufBytes& u8(uint8_t v) { return raw(&v, 1); }
  GgufBytes& u32(uint32_t v) { return raw(&v, 4); }
  GgufBytes& u64(uint64_t v) { return raw(&v, 8); }
  GgufBytes& f32(float v) { return raw(&v, 4); }
  GgufBytes& str(const std::string& s);
  // "GGUF", version, tensor count, metadata count.
  GgufBytes& header(uint32_t version, uint64_t n_tensors, uint64_t n_kv);
  GgufBytes& kv_u32(const std::string& key, uint32_t v);
  GgufBytes& kv_str(const std::string& key, const std::string& v);
  // A tensor info: name, dims, ggml type id, offset in the data section.
  GgufBytes& tensor(const std::string& name, const std::vector<uint64_t>& dims, uint32_t type, uint64_t offset);
  // Zero bytes up to the next multiple of `alignment`.
  GgufBytes& pad_to(uint64_t alignment);
  GgufBytes& zeros(uint64_t n);

  const std::vector<uint8_t>& bytes() const { return bytes_; }
  uint64_t size() const { return bytes_.size(); }

 private:
  GgufBytes& raw(const void* p, size_t n);
  std::vector<uint8_t> bytes_;
};

}  // namespace nt::test
