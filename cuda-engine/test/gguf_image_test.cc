// read_gguf_image: a GGUF header read with pread from an image at an offset of a larger file (the
// raw backend's block device), compared with the in-memory parse of the same bytes.
#include <fcntl.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <cstdio>
#include <fstream>

#include "core/engine_error.h"
#include "gguf/gguf_file.h"
#include "gguf_test_writer.h"

namespace nt {

namespace {

using test::GgufBytes;

constexpr uint64_t kOffset = 3 * 4096;

// A header bigger than the reader's first 1 MiB read, so the prefix must grow.
GgufBytes big_header_gguf() {
  GgufBytes b;
  b.header(3, 2, 2).kv_str("general.architecture", "llama").kv_str("big", std::string(3u << 20, 'x'));
  b.tensor("a", {64}, 0, 0).tensor("b", {32, 2}, 0, 256).pad_to(32).zeros(512);
  return b;
}

class ImageOnDisk {
 public:
  explicit ImageOnDisk(const GgufBytes& gguf) : path_(testing::TempDir() + "/nt-gguf-image-" + std::to_string(::getpid())) {
    std::ofstream out(path_, std::ios::binary | std::ios::trunc);
    const std::string junk(kOffset, 'j');
    out.write(junk.data(), static_cast<std::streamsize>(junk.size()));
    out.write(reinterpret_cast<const char*>(gguf.bytes().data()), static_cast<std::streamsize>(gguf.size()));
    out.write(junk.data(), 777);
    out.close();
    fd_ = ::open(path_.c_str(), O_RDONLY | O_CLOEXEC);
  }
  ~ImageOnDisk() {
    ::close(fd_);
    std::remove(path_.c_str());
  }
  int fd() const { return fd_; }

 private:
  std::string path_;
  int fd_ = -1;
};

std::string image_error(int fd, uint64_t offset, uint64_t size) {
  try {
    read_gguf_image(fd, offset, size, "image");
  } catch (const EngineError& e) {
    return e.code();
  }
  return "none";
}

}  // namespace

TEST(GgufImage, APrefixTooShortAsksForTheBytesTheHeaderNeeds) {
  const GgufBytes b = big_header_gguf();
  try {
    parse_gguf_prefix(b.bytes().data(), 4096, b.size());
    FAIL() << "a 4 KiB prefix parsed";
  } catch (const GgufPrefixShort& more) {
    EXPECT_GT(more.needed, 4096u);
    EXPECT_LE(more.needed, b.size());
  }
}

TEST(GgufImage, AHeaderLargerThanTheFirstReadParsesAsInMemory) {
  const GgufBytes b = big_header_gguf();
  ImageOnDisk disk(b);
  ASSERT_GE(disk.fd(), 0);
  const GgufFile expected = parse_gguf(b.bytes().data(), b.size());
  const GgufFile got = read_gguf_image(disk.fd(), kOffset, b.size(), "image");
  EXPECT_EQ(got.data_offset, expected.data_offset);
  EXPECT_EQ(got.file_bytes, b.size());
  ASSERT_EQ(got.tensors.size(), 2u);
  EXPECT_EQ(got.tensors[1].offset, expected.tensors[1].offset);
  ASSERT_NE(got.find("big"), nullptr);
  EXPECT_EQ(got.metadata.size(), expected.metadata.size());
}

TEST(GgufImage, ImagesCutShortOrRunningPastTheDeviceAreRefused) {
  const GgufBytes b = big_header_gguf();
  ImageOnDisk disk(b);
  ASSERT_GE(disk.fd(), 0);
  EXPECT_EQ(image_error(disk.fd(), kOffset, 2u << 20), "NT_E_BAD_GGUF");   // ends inside the header
  EXPECT_EQ(image_error(disk.fd(), kOffset, b.size() - 100), "NT_E_BAD_GGUF");  // inside the data
  EXPECT_EQ(image_error(disk.fd(), kOffset, b.size() + 4096), "NT_E_IO");   // past the file's end
  EXPECT_EQ(image_error(disk.fd(), 0, b.size()), "NT_E_BAD_GGUF");          // junk, not a GGUF
}

}  // namespace nt
