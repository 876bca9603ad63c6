// A temporary file of known bytes for the streaming tests, and aligned host buffers to read into.
#pragma once

#include <cstdint>
#include <cstdlib>
#include <memory>
#include <string>
#include <vector>

namespace nt::test {

// The byte at `offset` of every test file: a hash of the offset, so a range read from the wrong
// place, or copied to the wrong place, never matches by accident.
uint8_t pattern_byte(uint64_t offset);
std::vector<uint8_t> pattern_bytes(uint64_t offset, uint64_t bytes);

// Writes pattern_bytes(0, bytes) to a new file in the temporary directory; removes it when done.
class PatternFile {
 public:
  explicit PatternFile(uint64_t bytes);
  ~PatternFile();
  PatternFile(const PatternFile&) = delete;
  PatternFile& operator=(const PatternFile&) = delete;

  const std::string& path() const { return path_; }
  uint64_t size() const { return size_; }

 private:
  std::string path_;
  uint64_t size_;
};

// A 4096-byte aligned host buffer, as O_DIRECT needs.
struct AlignedBuffer {
  explicit AlignedBuffer(uint64_t bytes);
  uint8_t* data() const { return p.get(); }
  std::unique_ptr<uint8_t, decltype(&std::free)> p;
};

}  // namespace nt::test
