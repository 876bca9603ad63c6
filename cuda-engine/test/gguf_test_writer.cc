#include "gguf_test_writer.h"

#include <cstring>

namespace nt::test {

GgufBytes& GgufBytes::raw(const void* p, size_t n) {
  const auto* b = static_cast<const uint8_t*>(p);
  bytes_.insert(bytes_.end(), b, b + n);
  return *this;
}

GgufBytes& GgufBytes::str(const std::string& s) {
  u64(s.size());
  return raw(s.data(), s.size());
}

GgufBytes& GgufBytes::header(uint32_t version, uint64_t n_tensors, uint64_t n_kv) {
  raw("GGUF", 4);
  return u32(version).u64(n_tensors).u64(n_kv);
}

GgufBytes& GgufBytes::kv_u32(const std::string& key, uint32_t v) { return str(key).u32(4).u32(v); }

GgufBytes& GgufBytes::kv_str(const std::string& key, const std::string& v) { return str(key).u32(8).str(v); }

GgufBytes& GgufBytes::tensor(const std::string& name, const std::vector<uint64_t>& dims, uint32_t type,
                             uint64_t offset) {
  str(name).u32(static_cast<uint32_t>(dims.size()));
  for (uint64_t d : dims) u64(d);
  return u32(type).u64(offset);
}

GgufBytes& GgufBytes::pad_to(uint64_t alignment) {
  while (bytes_.size() % alignment != 0) bytes_.push_back(0);
  return *this;
}

GgufBytes& GgufBytes::zeros(uint64_t n) {
  bytes_.insert(bytes_.end(), n, 0);
  return *this;
}

}  // namespace nt::test
