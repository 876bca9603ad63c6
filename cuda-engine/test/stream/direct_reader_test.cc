// DirectReader: exact bytes across request pieces and from several threads at once, aligned
// requests only, and I/O failures reported as EngineError codes in the caller; and the storage
// reader open_storage_reader gives a model's file or image.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <cstring>
#include <random>
#include <thread>

#include "core/engine_error.h"
#include "error_code_of.h"
#include "io/direct_reader.h"
#include "io/open_storage_reader.h"
#include "stream/stream_test_file.h"

namespace nt {

namespace {

using test::AlignedBuffer;
using test::PatternFile;
using test::error_code_of;
using test::pattern_bytes;

// Buffered fallback allowed: the tests check the bytes, on whatever filesystem TMPDIR is.
DirectReaderOptions small_requests() {
  DirectReaderOptions o;
  o.io_threads = 3;
  o.request_bytes = 16 << 10;
  o.allow_buffered = true;
  return o;
}

void expect_pattern(const uint8_t* got, uint64_t offset, uint64_t bytes) {
  const std::vector<uint8_t> want = pattern_bytes(offset, bytes);
  ASSERT_EQ(0, std::memcmp(got, want.data(), bytes)) << "range at " << offset << " (" << bytes << " bytes)";
}

}  // namespace

TEST(DirectReaderTest, ReadsRangesExactlyAcrossRequestPieces) {
  const uint64_t size = 200 * 1024 + 1234;  // neither a multiple of the request nor of a block
  PatternFile file(size);
  auto reader = DirectReader::open(file.path(), 0, small_requests());
  ASSERT_EQ(reader->alignment() % 512, 0u);
  const uint64_t a = reader->alignment();
  AlignedBuffer buf(size + a);
  for (uint64_t offset : {uint64_t{0}, a, 5 * a}) {
    const uint64_t bytes = (size - offset) / a * a;
    reader->read(buf.data(), offset, bytes);
    expect_pattern(buf.data(), offset, bytes);
  }
}

TEST(DirectReaderTest, ZeroFillsThePaddingOfTheLastBlock) {
  const uint64_t size = 3 * 4096 + 100;
  PatternFile file(size);
  auto reader = DirectReader::open(file.path(), 0, small_requests());
  uint64_t offset = 0, bytes = 0;
  reader->aligned_range(4096 + 7, size - 4096 - 7, offset, bytes);  // a tensor ending at EOF
  ASSERT_EQ(offset, 4096u);
  ASSERT_EQ(offset + bytes, 4 * 4096u);
  AlignedBuffer buf(bytes);
  std::memset(buf.data(), 0xee, bytes);
  reader->read(buf.data(), offset, bytes);
  expect_pattern(buf.data(), offset, size - offset);
  for (uint64_t i = size - offset; i < bytes; ++i) ASSERT_EQ(buf.data()[i], 0) << "padding byte " << i;
}

TEST(DirectReaderTest, ServesConcurrentReadsFromSeveralThreads) {
  const uint64_t size = 512 * 1024 + 77;
  PatternFile file(size);
  auto reader = DirectReader::open(file.path(), 0, small_requests());
  const uint64_t a = reader->alignment();
  const uint64_t blocks = size / a;
  std::vector<std::thread> threads;
  std::vector<int> mismatches(4, 0);
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      std::mt19937_64 rng(t + 1);
      AlignedBuffer buf(size);
      for (int i = 0; i < 20; ++i) {
        const uint64_t first = rng() % blocks;
        const uint64_t n = 1 + rng() % (blocks - first);
        reader->read(buf.data(), first * a, n * a);
        if (std::memcmp(buf.data(), pattern_bytes(first * a, n * a).data(), n * a) != 0) ++mismatches[t];
      }
    });
  }
  for (std::thread& t : threads) t.join();
  for (int t = 0; t < 4; ++t) EXPECT_EQ(mismatches[t], 0) << "thread " << t;
}

TEST(DirectReaderTest, RefusesUnalignedRequests) {
  PatternFile file(64 * 1024);
  auto reader = DirectReader::open(file.path(), 0, small_requests());
  AlignedBuffer buf(64 * 1024);
  const uint64_t a = reader->alignment();
  EXPECT_EQ(error_code_of([&] { reader->read(buf.data(), 100, a); }), "NT_E_INTERNAL");
  EXPECT_EQ(error_code_of([&] { reader->read(buf.data(), 0, a + 100); }), "NT_E_INTERNAL");
  EXPECT_EQ(error_code_of([&] { reader->read(buf.data() + 8, 0, a); }), "NT_E_INTERNAL");
  reader->read(buf.data(), a, a);  // still usable
  expect_pattern(buf.data(), a, a);
}

TEST(DirectReaderTest, MissingFileIsNotFound) {
  EXPECT_EQ(error_code_of([] { DirectReader::open("/nonexistent/nt/model.gguf", 0, small_requests()); }),
            "NT_E_NOT_FOUND");
}

TEST(DirectReaderTest, ReadPastTheEndIsAnIoError) {
  PatternFile file(8 * 4096 + 10);
  auto reader = DirectReader::open(file.path(), 0, small_requests());
  AlignedBuffer buf(4 * 4096);
  EXPECT_EQ(error_code_of([&] { reader->read(buf.data(), 8 * 4096, 2 * 4096); }), "NT_E_IO");
  EXPECT_EQ(error_code_of([&] { reader->read(buf.data(), 16 * 4096, 4096); }), "NT_E_IO");
}

TEST(DirectReaderTest, FileTruncatedUnderTheReaderIsAShortReadError) {
  PatternFile file(32 * 4096);
  auto reader = DirectReader::open(file.path(), 0, small_requests());
  ASSERT_EQ(::truncate(file.path().c_str(), 10 * 4096 + 5), 0);
  AlignedBuffer buf(32 * 4096);
  EXPECT_EQ(error_code_of([&] { reader->read(buf.data(), 0, 32 * 4096); }), "NT_E_IO");
  reader->read(buf.data(), 4096, 4096);  // what is still there reads fine
  expect_pattern(buf.data(), 4096, 4096);
}

TEST(DirectReaderTest, AdoptsAReadableDescriptorAndRefusesOthers) {
  PatternFile file(64 * 1024);
  const int fd = ::open(file.path().c_str(), O_RDONLY | O_CLOEXEC);
  ASSERT_GE(fd, 0);
  auto reader = DirectReader::adopt(fd, "test image", 4096, small_requests());
  AlignedBuffer buf(8192);
  reader->read(buf.data(), 4096, 8192);  // base offset 4096 added
  expect_pattern(buf.data(), 8192, 8192);

  const int write_only = ::open(file.path().c_str(), O_WRONLY | O_CLOEXEC);
  ASSERT_GE(write_only, 0);
  EXPECT_EQ(error_code_of([&] { DirectReader::adopt(write_only, "write-only fd", 0, small_requests()); }), "NT_E_IO");
  EXPECT_EQ(error_code_of([&] { DirectReader::adopt(-1, "no fd", 0, small_requests()); }), "NT_E_IO");
}

TEST(DirectReaderTest, OpensTheStorageReaderOfAFileOrOfAnImageAtItsOffset) {
  PatternFile file(64 * 1024);
  AlignedBuffer buf(8192);
  auto from_file = open_storage_reader(ModelSource::file(file.path()), small_requests());
  from_file->read(buf.data(), 8192, 8192);
  expect_pattern(buf.data(), 8192, 8192);

  const int fd = ::open(file.path().c_str(), O_RDONLY | O_CLOEXEC);
  ASSERT_GE(fd, 0);
  auto from_image = open_storage_reader(ModelSource::image(fd, 4096, 60 * 1024, "test image"), small_requests());
  ::close(fd);  // only borrowed: the reader reads its own dup
  from_image->read(buf.data(), 4096, 8192);  // offsets are the image's: it starts at byte 4096
  expect_pattern(buf.data(), 8192, 8192);
  EXPECT_EQ(error_code_of([] { open_storage_reader(ModelSource::image(-1, 0, 4096, "no fd"), small_requests()); }),
            "NT_E_IO");
}

TEST(DirectReaderTest, AlignedRangeRoundsOut) {
  PatternFile file(4096);
  auto reader = DirectReader::open(file.path(), 0, small_requests());
  const uint64_t a = reader->alignment();
  uint64_t offset = 0, bytes = 0;
  reader->aligned_range(a + 1, a, offset, bytes);
  EXPECT_EQ(offset, a);
  EXPECT_EQ(bytes, 2 * a);
  reader->aligned_range(2 * a, a, offset, bytes);
  EXPECT_EQ(offset, 2 * a);
  EXPECT_EQ(bytes, a);
}

}  // namespace nt
