// The real test data (README, "Test data": fetched by scripts/fetchTestData.sh) for C++ tests. A
// test that needs it starts with REQUIRE_TEST_DATA(): when a file of the data set is missing it
// skips with one message naming the script, and with CI=true it fails instead.
// test/support/findTestData.ts is the TypeScript tests' twin: same folder, same message.
#pragma once

#include <sys/stat.h>

#include <cstdlib>
#include <string>

namespace nt::test {

// $NT_TEST_DATA, else where scripts/fetchTestData.sh puts the data by default:
// $XDG_CACHE_HOME/ntransformer/testdata, or ~/.cache/ntransformer/testdata.
inline std::string test_data_dir() {
  if (const char* dir = std::getenv("NT_TEST_DATA"); dir && *dir) return dir;
  if (const char* cache = std::getenv("XDG_CACHE_HOME"); cache && *cache) return std::string(cache) + "/ntransformer/testdata";
  const char* home = std::getenv("HOME");
  return std::string(home ? home : "") + "/.cache/ntransformer/testdata";
}

// The first file of the data set missing from test_data_dir(), or "" when all are there.
inline std::string missing_test_data() {
  static const char* const kFiles[] = {
      "stories260K.gguf",
      "vocab/ggml-vocab-llama-spm.gguf", "vocab/ggml-vocab-llama-spm.gguf.inp", "vocab/ggml-vocab-llama-spm.gguf.out",
      "vocab/ggml-vocab-gpt-2.gguf", "vocab/ggml-vocab-gpt-2.gguf.inp", "vocab/ggml-vocab-gpt-2.gguf.out"};
  for (const char* file : kFiles) {
    struct stat st {};
    if (::stat((test_data_dir() + "/" + file).c_str(), &st) != 0 || !S_ISREG(st.st_mode)) return file;
  }
  return "";
}

// The one message a test without its data skips (or, under CI=true, fails) with.
inline std::string test_data_missing_message(const std::string& file) {
  return "test data not found (" + test_data_dir() + "/" + file +
         "): run scripts/fetchTestData.sh, or set NT_TEST_DATA to where it is";
}

}  // namespace nt::test

#define REQUIRE_TEST_DATA()                                                                    \
  do {                                                                                         \
    const std::string nt_missing_ = ::nt::test::missing_test_data();                           \
    if (!nt_missing_.empty()) {                                                                \
      const char* nt_ci_ = std::getenv("CI");                                                  \
      if (nt_ci_ && std::string(nt_ci_) == "true")                                             \
        FAIL() << ::nt::test::test_data_missing_message(nt_missing_) << " (CI=true: no skip)"; \
      GTEST_SKIP() << ::nt::test::test_data_missing_message(nt_missing_);                      \
    }                                                                                          \
  } while (0)
