// nt-bench's command line: the depth list (-d, llama-bench's spelling) and what it changes — the
// context the tests need and the passes the depth is filled in.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "bench/parse_words.h"
#include "bench_args.h"

namespace nt::bench {
namespace {

using test::parse;

std::string usage_error(const std::vector<std::string>& words) {
  try {
    parse(words);
  } catch (const UsageError& e) {
    return e.what();
  }
  return "no error";
}

TEST(BenchArgs, DepthTakesAListAsLlamaBenchDoes) {
  EXPECT_EQ(parse({}).depths, std::vector<int32_t>{0});
  EXPECT_EQ(parse({"-d", "0,8192,32768"}).depths, (std::vector<int32_t>{0, 8192, 32768}));
  EXPECT_EQ(parse({"--n-depth", "512"}).depths, std::vector<int32_t>{512});
  EXPECT_EQ(parse({"--n-depth=16"}).depths, std::vector<int32_t>{16});
}

TEST(BenchArgs, RefusesADepthThatIsNotAListOfWholeNumbers) {
  for (const char* bad : {"-1", "x", "1,,2", "", "8192,", "1.5"}) {
    const std::string error = usage_error({"-d", bad});
    EXPECT_NE(error.find("-d: '"), std::string::npos) << bad << ": " << error;
    EXPECT_NE(error.find("is not a whole number >= 0"), std::string::npos) << bad << ": " << error;
  }
  EXPECT_EQ(usage_error({"-d"}), "-d needs a value");
}

TEST(BenchArgs, TheContextHoldsTheDeepestDepthAndTheTests) {
  const BenchArgs a = parse({"-p", "0", "-n", "32", "-d", "0,8192"});
  EXPECT_EQ(a.max_depth(), 8192);
  EXPECT_EQ(a.context_tokens(), 8192 + 32 + 16);
  EXPECT_EQ(parse({"-p", "0", "-n", "32", "-d", "0,32768", "--ctx", "33024"}).context_tokens(), 33024);
  EXPECT_EQ(parse({"-p", "512", "-n", "128"}).context_tokens(), 512 + 128 + 16);  // as without -d
  const std::string tg = usage_error({"-p", "0", "-n", "32", "-d", "32768", "--ctx", "32790"});
  EXPECT_NE(tg.find("--ctx: 32790 positions cannot hold -d 32768"), std::string::npos) << tg;
  const std::string pp = usage_error({"-p", "512", "-n", "0", "-d", "0,100", "--ctx", "600"});
  EXPECT_NE(pp.find("cannot hold -d 100 + -p 512"), std::string::npos) << pp;
}

TEST(BenchArgs, ADepthAloneIsFilledInPassesOfUpTo512Tokens) {
  EXPECT_EQ(parse({"-p", "0", "-d", "8192"}).batch_tokens(), 512);
  EXPECT_EQ(parse({"-p", "0", "-d", "0,100"}).batch_tokens(), 100);
  EXPECT_EQ(parse({"-p", "0"}).batch_tokens(), 1);
  EXPECT_EQ(parse({"-p", "256", "-d", "8192"}).batch_tokens(), 256);
  EXPECT_EQ(parse({"-p", "0", "-b", "64", "-d", "8192"}).batch_tokens(), 64);
}

}  // namespace
}  // namespace nt::bench
