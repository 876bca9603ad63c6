// The GGUF reader keeps metadata memory within kMetadataMemoryPerByte per byte of metadata (plus
// kMetadataMemorySlack): a file of empty nested arrays, which would take 104 bytes of memory for
// every 12 in the file, is refused naming its key, while real files and the densest honest
// metadata (empty strings: 4 per byte) load, their memory as accounted and as malloc sees it.
#include <gtest/gtest.h>
#include <malloc.h>

#include <string>

#include "core/engine_error.h"
#include "gguf/gguf_file.h"
#include "gguf_test_writer.h"
#include "test_data.h"

namespace nt {

using test::GgufBytes;

namespace {

constexpr uint32_t kU8Type = 0, kStringType = 8, kArrayType = 9;

// A metadata-only file: one key holding `count` empty arrays of u8.
GgufBytes empty_nested_arrays(uint64_t count) {
  GgufBytes b;
  b.header(3, 0, 1).str("evil.nested").u32(kArrayType).u32(kArrayType).u64(count);
  for (uint64_t i = 0; i < count; ++i) b.u32(kU8Type).u64(0);
  return b;
}

// One key holding `count` empty strings.
GgufBytes empty_strings(uint64_t count) {
  GgufBytes b;
  b.header(3, 0, 1).str("many.empty").u32(kArrayType).u32(kStringType).u64(count);
  for (uint64_t i = 0; i < count; ++i) b.str("");
  return b;
}

// `count` keys, each holding one u8.
GgufBytes tiny_entries(uint64_t count) {
  GgufBytes b;
  b.header(3, 0, count);
  for (uint64_t i = 0; i < count; ++i) b.str("k" + std::to_string(i)).u32(kU8Type).u8(1);
  return b;
}

GgufFile parse(const GgufBytes& b) { return parse_gguf(b.bytes().data(), b.size()); }

uint64_t bound(const GgufFile& file) { return kMetadataMemoryPerByte * file.metadata_bytes + kMetadataMemorySlack; }

// Bytes malloc has handed out and not had back.
uint64_t heap_in_use() {
  const struct mallinfo2 info = mallinfo2();
  return info.uordblks + info.hblkhd;
}

}  // namespace

TEST(GgufMetadataMemory, RefusesEmptyNestedArraysThatWouldSwellNamingTheKey) {
  const GgufBytes b = empty_nested_arrays(200000);  // 2.4 MB in the file, 21 MB in memory
  try {
    parse(b);
    FAIL() << "a file whose metadata swells 8-fold must be refused";
  } catch (const EngineError& e) {
    EXPECT_EQ(e.code(), "NT_E_BAD_GGUF");
    EXPECT_NE(std::string(e.what()).find("'evil.nested'"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("bytes of memory"), std::string::npos) << e.what();
  }
}

TEST(GgufMetadataMemory, AcceptsAFewNestedArraysWithinTheSlack) {
  const GgufFile file = parse(empty_nested_arrays(1000));
  ASSERT_EQ(file.metadata.size(), 1u);
  EXPECT_EQ(file.metadata[0].value.as_array().arrays.size(), 1000u);
  EXPECT_GE(file.metadata_memory, 1000 * sizeof(GgufValue));
  EXPECT_LE(file.metadata_memory, bound(file));
}

TEST(GgufMetadataMemory, RefusesAFloodOfTinyEntries) {
  std::string message;
  try {
    parse(tiny_entries(100000));
  } catch (const EngineError& e) {
    EXPECT_EQ(e.code(), "NT_E_BAD_GGUF");
    message = e.what();
  }
  EXPECT_NE(message.find("bytes of memory"), std::string::npos) << "got: " << message;
}

TEST(GgufMetadataMemory, LoadsTheDensestHonestMetadataWithinTheBoundAsMallocSeesIt) {
  const GgufBytes b = empty_strings(1000000);  // 8 MB of empty strings: 32 MB of std::string
  const uint64_t before = heap_in_use();
  const GgufFile file = parse(b);
  const uint64_t used = heap_in_use() - before;
  ASSERT_EQ(file.metadata[0].value.as_array().strings.size(), 1000000u);
  EXPECT_GE(file.metadata_memory, 1000000 * sizeof(std::string)) << "the account counts every string";
  EXPECT_LE(file.metadata_memory, bound(file));
  EXPECT_LE(used, bound(file)) << "malloc holds " << used << " bytes for " << file.metadata_bytes << " bytes of metadata";
}

TEST(GgufMetadataMemory, RealFilesStayWellWithinTheBound) {
  REQUIRE_TEST_DATA();
  for (const char* name : {"stories260K.gguf", "vocab/ggml-vocab-llama-spm.gguf", "vocab/ggml-vocab-gpt-2.gguf"}) {
    const GgufFile file = read_gguf_file(test::test_data_dir() + "/" + name);
    EXPECT_GT(file.metadata_bytes, 0u) << name;
    EXPECT_LE(file.metadata_memory, 3 * file.metadata_bytes + kMetadataMemorySlack) << name;
  }
}

}  // namespace nt
