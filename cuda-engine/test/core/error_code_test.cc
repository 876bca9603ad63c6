// The engine's error codes are the protocol's: every ErrorCode's name is one of the codes that
// protocol/errorCodes.ts lists (what the daemon and ntctl understand), so none can reach JS as an
// unknown string and turn into NT_E_INTERNAL there.
#include <gtest/gtest.h>

#include <fstream>
#include <regex>
#include <set>
#include <sstream>
#include <string>

#include "core/engine_error.h"
#include "core/error_code.h"

namespace nt {
namespace {

// The quoted NT_E_* strings of the NT_ERROR_CODES array in protocol/errorCodes.ts.
std::set<std::string> protocol_error_codes() {
  std::ifstream file(NT_PROTOCOL_ERROR_CODES_TS);
  std::stringstream text;
  text << file.rdbuf();
  const std::string source = text.str();
  const size_t begin = source.find("NT_ERROR_CODES = [");
  const size_t end = source.find("] as const", begin);
  if (begin == std::string::npos || end == std::string::npos) return {};
  const std::string list = source.substr(begin, end - begin);
  std::set<std::string> codes;
  const std::regex quoted("\"(NT_E_[A-Z_]+)\"");
  for (auto it = std::sregex_iterator(list.begin(), list.end(), quoted); it != std::sregex_iterator(); ++it) {
    codes.insert((*it)[1]);
  }
  return codes;
}

TEST(ErrorCode, EveryEngineCodeIsAProtocolCode) {
  const std::set<std::string> protocol = protocol_error_codes();
  ASSERT_GT(protocol.size(), 10u) << "cannot read the codes of " << NT_PROTOCOL_ERROR_CODES_TS;
  for (ErrorCode code : kErrorCodes) {
    EXPECT_EQ(protocol.count(error_code_name(code)), 1u)
        << error_code_name(code) << " is not in protocol/errorCodes.ts";
  }
}

TEST(ErrorCode, NamesAreDistinctAndTravelWithTheError) {
  std::set<std::string> names;
  for (ErrorCode code : kErrorCodes) {
    EXPECT_TRUE(names.insert(error_code_name(code)).second) << error_code_name(code) << " twice";
    const EngineError e(code, "message");
    EXPECT_EQ(e.error_code(), code);
    EXPECT_EQ(e.code(), error_code_name(code));
  }
  EXPECT_STREQ(error_code_name(NT_E_IO), "NT_E_IO");
}

}  // namespace
}  // namespace nt
