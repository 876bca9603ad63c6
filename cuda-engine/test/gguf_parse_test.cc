#include <gtest/gtest.h>

#include <cstring>

#include "core/engine_error.h"
#include "gguf/ggml_type.h"
#include "gguf/gguf_file.h"
#include "gguf_test_writer.h"

namespace nt {

using test::GgufBytes;

namespace {

constexpr uint32_t kF32 = 0, kQ4_K = 12, kIQ2_XS = 17, kStringType = 8, kArrayType = 9;

GgufFile parse(const GgufBytes& b) { return parse_gguf(b.bytes().data(), b.size()); }

// The code of the EngineError that parsing throws, plus its message for the failure report.
std::string error_of(const GgufBytes& b, std::string* message = nullptr) {
  try {
    parse(b);
  } catch (const EngineError& e) {
    if (message) *message = e.what();
    return e.code();
  }
  return "no error";
}

// One F32 tensor of 8 elements after a single string key.
GgufBytes small_model(uint32_t version = 3) {
  GgufBytes b;
  b.header(version, 1, 1).kv_str("general.architecture", "llama").tensor("w", {8}, kF32, 0);
  b.pad_to(32).zeros(32);
  return b;
}

}  // namespace

TEST(GgufParse, ReadsHeaderMetadataAndTensorTable) {
  const GgufFile file = parse(small_model());
  EXPECT_EQ(file.version, 3u);
  EXPECT_EQ(file.alignment, 32u);
  ASSERT_EQ(file.metadata.size(), 1u);
  EXPECT_EQ(file.metadata[0].key, "general.architecture");
  EXPECT_EQ(file.find("general.architecture")->as_string(), "llama");
  EXPECT_EQ(file.find("missing"), nullptr);
  ASSERT_EQ(file.tensors.size(), 1u);
  EXPECT_EQ(file.tensors[0].name, "w");
  EXPECT_EQ(file.tensors[0].bytes, 32u);
  EXPECT_EQ(file.data_offset % 32, 0u);
  EXPECT_EQ(file.data_offset + 32, file.file_bytes);
}

TEST(GgufParse, ReadsVersionTwoLikeVersionThree) {
  EXPECT_EQ(parse(small_model(2)).version, 2u);
}

TEST(GgufParse, HonoursGeneralAlignment) {
  GgufBytes b;
  b.header(3, 2, 1).kv_u32("general.alignment", 64);
  b.tensor("a", {8}, kF32, 0).tensor("b", {8}, kF32, 64);
  b.pad_to(64).zeros(128);
  const GgufFile file = parse(b);
  EXPECT_EQ(file.alignment, 64u);
  EXPECT_EQ(file.data_offset % 64, 0u);
  EXPECT_EQ(file.tensors[1].offset, 64u);
}

TEST(GgufParse, AcceptsVocabularyOnlyFilesWithoutTrailingPadding) {
  GgufBytes b;
  b.header(3, 0, 1).kv_str("tokenizer.ggml.model", "llama");  // ends mid-alignment, as llama.cpp's do
  const GgufFile file = parse(b);
  EXPECT_TRUE(file.tensors.empty());
  EXPECT_EQ(file.find("tokenizer.ggml.model")->as_string(), "llama");
}

TEST(GgufParse, ReadsEveryValueTypeIncludingNestedArrays) {
  GgufBytes b;
  b.header(3, 0, 8);
  b.str("u8").u32(0).u8(200);
  b.str("i32").u32(5).u32(static_cast<uint32_t>(-7));
  b.str("f32").u32(6).f32(1.5f);
  b.str("bool").u32(7).u8(1);
  b.str("u64").u32(10).u64(UINT64_MAX);
  b.str("i64").u32(11).u64(static_cast<uint64_t>(INT64_MIN));
  b.str("strings").u32(kArrayType).u32(kStringType).u64(2).str("a").str("\xE2\x96\x81" "b");
  // [[1, 2], []] as u16
  b.str("nested").u32(kArrayType).u32(kArrayType).u64(2);
  b.u32(2).u64(2).u8(1).u8(0).u8(2).u8(0);
  b.u32(2).u64(0);
  const GgufFile file = parse(b);
  EXPECT_EQ(file.find("u8")->as_u64(), 200u);
  EXPECT_EQ(file.find("i32")->as_i64(), -7);
  EXPECT_EQ(file.find("f32")->as_f64(), 1.5);
  EXPECT_EQ(file.find("bool")->as_u64(), 1u);
  EXPECT_EQ(file.find("u64")->as_u64(), UINT64_MAX);
  EXPECT_EQ(file.find("i64")->as_i64(), INT64_MIN);
  const GgufArray& strings = file.find("strings")->as_array();
  ASSERT_EQ(strings.strings.size(), 2u);
  EXPECT_EQ(strings.strings[1], "\xE2\x96\x81" "b");
  const GgufArray& nested = file.find("nested")->as_array();
  ASSERT_EQ(nested.arrays.size(), 2u);
  EXPECT_EQ(nested.arrays[0].as_array().at<uint16_t>(1), 2);
  EXPECT_EQ(nested.arrays[1].as_array().count, 0u);
}

TEST(GgufParse, RefusesWhatIsNotGguf) {
  GgufBytes tiny;
  tiny.u32(0x46554747);
  EXPECT_EQ(error_of(tiny), "NT_E_BAD_GGUF");
  GgufBytes magic;
  magic.u32(0x12345678).u32(3).u64(0).u64(0);
  EXPECT_EQ(error_of(magic), "NT_E_BAD_GGUF");
  GgufBytes unknown_version;
  unknown_version.header(99, 0, 0);
  EXPECT_EQ(error_of(unknown_version), "NT_E_BAD_GGUF");
}

TEST(GgufParse, RefusesVersionOneAndBigEndianAsUnsupported) {
  GgufBytes v1;
  v1.header(1, 0, 0);
  EXPECT_EQ(error_of(v1), "NT_E_UNSUPPORTED");
  GgufBytes big_endian;
  big_endian.header(0x03000000, 0, 0);
  EXPECT_EQ(error_of(big_endian), "NT_E_UNSUPPORTED");
}

TEST(GgufParse, RefusesCountsTheFileCannotHoldBeforeAllocating) {
  GgufBytes kv;
  kv.header(3, 0, UINT64_MAX / 2);
  EXPECT_EQ(error_of(kv), "NT_E_BAD_GGUF");
  GgufBytes tensors;
  tensors.header(3, 1ull << 40, 0);
  EXPECT_EQ(error_of(tensors), "NT_E_BAD_GGUF");
  GgufBytes array;
  array.header(3, 0, 1).str("a").u32(kArrayType).u32(10).u64(1ull << 61);
  EXPECT_EQ(error_of(array), "NT_E_BAD_GGUF");
  GgufBytes strings;
  strings.header(3, 0, 1).str("a").u32(kArrayType).u32(kStringType).u64(1ull << 50);
  EXPECT_EQ(error_of(strings), "NT_E_BAD_GGUF");
  GgufBytes long_string;
  long_string.header(3, 0, 1).str("a").u32(kStringType).u64(UINT64_MAX);
  EXPECT_EQ(error_of(long_string), "NT_E_BAD_GGUF");
}

TEST(GgufParse, RefusesMalformedMetadata) {
  GgufBytes bad_type;
  bad_type.header(3, 0, 1).str("k").u32(13).u32(0);
  EXPECT_EQ(error_of(bad_type), "NT_E_BAD_GGUF");
  GgufBytes bad_bool;
  bad_bool.header(3, 0, 1).str("k").u32(7).u8(2);
  EXPECT_EQ(error_of(bad_bool), "NT_E_BAD_GGUF");
  GgufBytes duplicate;
  duplicate.header(3, 0, 2).kv_u32("k", 1).kv_u32("k", 2);
  EXPECT_EQ(error_of(duplicate), "NT_E_BAD_GGUF");
  GgufBytes empty_key;
  empty_key.header(3, 0, 1).kv_u32("", 1);
  EXPECT_EQ(error_of(empty_key), "NT_E_BAD_GGUF");
  GgufBytes bad_utf8_key;
  bad_utf8_key.header(3, 0, 1).kv_u32("a\xC0\xAF", 1);
  EXPECT_EQ(error_of(bad_utf8_key), "NT_E_BAD_GGUF");
}

TEST(GgufParse, KeepsStringValuesThatAreNotUtf8) {
  GgufBytes b;
  b.header(3, 0, 1).kv_str("token", "\xFF\xFE");
  EXPECT_EQ(parse(b).find("token")->as_string(), "\xFF\xFE");
}

TEST(GgufParse, RefusesArraysNestedDeeperThanEightLevels) {
  GgufBytes b;
  b.header(3, 0, 1).str("deep").u32(kArrayType);
  for (int level = 0; level < 9; ++level) b.u32(kArrayType).u64(1);
  b.u32(0).u64(0);
  EXPECT_EQ(error_of(b), "NT_E_BAD_GGUF");
}

TEST(GgufParse, RefusesBadAlignment) {
  GgufBytes odd;
  odd.header(3, 0, 1).kv_u32("general.alignment", 48);
  EXPECT_EQ(error_of(odd), "NT_E_BAD_GGUF");
  GgufBytes zero;
  zero.header(3, 0, 1).kv_u32("general.alignment", 0);
  EXPECT_EQ(error_of(zero), "NT_E_BAD_GGUF");
  GgufBytes wrong_type;
  wrong_type.header(3, 0, 1).kv_str("general.alignment", "32");
  EXPECT_EQ(error_of(wrong_type), "NT_E_BAD_GGUF");
}

TEST(GgufParse, NamesTheTensorAndTypeItDoesNotSupport) {
  GgufBytes b;
  b.header(3, 1, 0).tensor("blk.3.ffn_down.weight", {256}, kIQ2_XS, 0).pad_to(32).zeros(256);
  std::string message;
  EXPECT_EQ(error_of(b, &message), "NT_E_UNSUPPORTED");
  EXPECT_NE(message.find("blk.3.ffn_down.weight"), std::string::npos) << message;
  EXPECT_NE(message.find("IQ2_XS"), std::string::npos) << message;
  GgufBytes unknown;
  unknown.header(3, 1, 0).tensor("t", {32}, 4, 0).pad_to(32).zeros(64);
  EXPECT_EQ(error_of(unknown), "NT_E_UNSUPPORTED");
}

TEST(GgufParse, RefusesMalformedTensorInfos) {
  auto one_tensor = [](const std::vector<uint64_t>& dims, uint32_t type, uint64_t offset, uint64_t data) {
    GgufBytes b;
    b.header(3, 1, 0).tensor("t", dims, type, offset).pad_to(32).zeros(data);
    return b;
  };
  EXPECT_EQ(error_of(one_tensor({}, kF32, 0, 64)), "NT_E_BAD_GGUF");                  // 0 dims
  EXPECT_EQ(error_of(one_tensor({1, 1, 1, 1, 1}, kF32, 0, 64)), "NT_E_BAD_GGUF");     // 5 dims
  EXPECT_EQ(error_of(one_tensor({8, 0}, kF32, 0, 64)), "NT_E_BAD_GGUF");              // zero dim
  EXPECT_EQ(error_of(one_tensor({1ull << 40, 1ull << 40}, kF32, 0, 64)), "NT_E_BAD_GGUF");  // overflow
  EXPECT_EQ(error_of(one_tensor({100}, kQ4_K, 0, 1024)), "NT_E_BAD_GGUF");            // partial block
  EXPECT_EQ(error_of(one_tensor({8}, kF32, 16, 64)), "NT_E_BAD_GGUF");                // unaligned
  EXPECT_EQ(error_of(one_tensor({8}, kF32, 0, 31)), "NT_E_BAD_GGUF");                 // past the end
  EXPECT_EQ(error_of(one_tensor({8}, kF32, UINT64_MAX - 31, 64)), "NT_E_BAD_GGUF");   // offset wraps
}

TEST(GgufParse, RefusesOverlappingAndDuplicateTensors) {
  GgufBytes overlap;
  overlap.header(3, 2, 0).tensor("a", {16}, kF32, 0).tensor("b", {8}, kF32, 32).pad_to(32).zeros(128);
  EXPECT_EQ(error_of(overlap), "NT_E_BAD_GGUF");
  GgufBytes duplicate;
  duplicate.header(3, 2, 0).tensor("a", {8}, kF32, 0).tensor("a", {8}, kF32, 32).pad_to(32).zeros(64);
  EXPECT_EQ(error_of(duplicate), "NT_E_BAD_GGUF");
}

TEST(GgufParse, EveryTruncationOfAValidFileIsACleanError) {
  GgufBytes whole;
  whole.header(3, 2, 3).kv_str("general.architecture", "llama").kv_u32("general.alignment", 32);
  whole.str("tokens").u32(kArrayType).u32(kStringType).u64(3).str("<s>").str("a").str("b");
  whole.tensor("a", {8, 2}, kF32, 0).tensor("b", {256}, kQ4_K, 64).pad_to(32).zeros(64 + 144);
  ASSERT_NO_THROW(parse(whole));
  for (uint64_t size = 0; size < whole.size(); ++size) {
    try {
      parse_gguf(whole.bytes().data(), size);
      ADD_FAILURE() << "a file cut to " << size << " bytes was accepted";
    } catch (const EngineError& e) {
      EXPECT_EQ(e.code(), "NT_E_BAD_GGUF") << size;
    }
  }
}

TEST(GgufParse, ReadGgufFileReportsAMissingFileAsNotFound) {
  try {
    read_gguf_file("/nonexistent/model.gguf");
    FAIL() << "expected an error";
  } catch (const EngineError& e) {
    EXPECT_EQ(e.code(), "NT_E_NOT_FOUND");
  }
}

}  // namespace nt
