// The real test data ($NT_TEST_DATA: ../shared/testdata in CI) for C++ tests. A test that needs
// it starts with REQUIRE_TEST_DATA(): with CI=true a missing data set fails the test, elsewhere
// it skips, saying so (DESIGN §7).
#pragma once

#include <cstdlib>
#include <string>

namespace nt::test {

// The test data folder, or "" when NT_TEST_DATA is unset.
inline std::string test_data_dir() {
  const char* dir = std::getenv("NT_TEST_DATA");
  return dir ? dir : "";
}

}  // namespace nt::test

#define REQUIRE_TEST_DATA()                                                         \
  do {                                                                              \
    if (::nt::test::test_data_dir().empty()) {                                      \
      const char* ci = std::getenv("CI");                                           \
      if (ci && std::string(ci) == "true") FAIL() << "NT_TEST_DATA is not set";     \
      GTEST_SKIP() << "NT_TEST_DATA is not set: tests on real files skipped";       \
    }                                                                               \
  } while (0)
