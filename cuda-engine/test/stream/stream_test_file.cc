#include "stream/stream_test_file.h"

#include <unistd.h>

#include <atomic>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <stdexcept>

namespace nt::test {

uint8_t pattern_byte(uint64_t offset) {
  return static_cast<uint8_t>(((offset + 1) * 0x9E3779B97F4A7C15ull) >> 56);
}

std::vector<uint8_t> pattern_bytes(uint64_t offset, uint64_t bytes) {
  std::vector<uint8_t> out(bytes);
  for (uint64_t i = 0; i < bytes; ++i) out[i] = pattern_byte(offset + i);
  return out;
}

PatternFile::PatternFile(uint64_t bytes) : size_(bytes) {
  static std::atomic<int> counter{0};
  path_ = (std::filesystem::temp_directory_path() /
           ("nt_stream_test_" + std::to_string(::getpid()) + "_" + std::to_string(counter++) + ".bin"))
              .string();
  std::ofstream out(path_, std::ios::binary | std::ios::trunc);
  const std::vector<uint8_t> data = pattern_bytes(0, bytes);
  out.write(reinterpret_cast<const char*>(data.data()), static_cast<std::streamsize>(data.size()));
  if (!out) throw std::runtime_error("cannot write " + path_);
}

PatternFile::~PatternFile() { std::remove(path_.c_str()); }

AlignedBuffer::AlignedBuffer(uint64_t bytes) : p(nullptr, &std::free) {
  void* raw = nullptr;
  if (::posix_memalign(&raw, 4096, bytes == 0 ? 1 : bytes) != 0) throw std::bad_alloc();
  p.reset(static_cast<uint8_t*>(raw));
}

}  // namespace nt::test
