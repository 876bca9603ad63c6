// nt-bench's --profile flag and the text it prints (bench/profile_table.h), on the host build.
#include <gtest/gtest.h>

#include <string>

#include "bench/parse_words.h"
#include "bench_args.h"
#include "profile_table.h"

namespace nt::bench {

namespace {

using test::parse;

}  // namespace

TEST(BenchProfileArgs, OffUnlessGiven) {
  EXPECT_FALSE(parse({"-m", "x.gguf"}).profile);
  const BenchArgs a = parse({"-m", "x.gguf", "--profile", "-n", "8"});
  EXPECT_TRUE(a.profile);
  EXPECT_EQ(a.n_gen, 8);
  EXPECT_NE(std::string(bench_usage()).find("--profile"), std::string::npos);
}

TEST(BenchProfileArgs, TakesNoValue) {
  EXPECT_THROW(parse({"--profile=yes"}), UsageError);
}

TEST(BenchProfileText, OpsSharesAndTheRestOfThePass) {
  TestResult t;
  t.name = "tg8";
  t.tokens = 8;
  t.passes_per_rep = 8;
  t.mean = 250;  // tok/s: 4 ms a pass
  EXPECT_EQ(profile_text("m.gguf", t), "");  // not profiled: nothing printed
  t.profiled = true;
  t.profile_depth = 7;
  t.profile.add("qkv", 2.0, 4000000);
  t.profile.add("qkv", 2.0, 4000000);
  t.profile.add("attention", 1.0, 0);
  t.profile.add_pass(10.0);
  const std::string text = profile_text("m.gguf", t);
  EXPECT_NE(text.find("m.gguf tg8 profile (1 pass from position 7, no CUDA graph): wall 10.000 ms/pass, ops 5.000 "
                      "ms/pass (50.0 %), rest 5.000 ms/pass (launch gaps, host work); the timed runs' pass 4.000 ms"),
            std::string::npos)
      << text;
  // 8 MB in 4 ms: 2.0 GB/s; 40 % of the 10 ms pass.
  EXPECT_NE(text.find("| qkv | 2 | 4.000 | 40.0 % | 7.63 MiB | 2.0 |"), std::string::npos) << text;
  EXPECT_NE(text.find("| attention | 1 | 1.000 | 10.0 % | - | - |"), std::string::npos) << text;
  EXPECT_EQ(text.find("| segment |"), std::string::npos);  // no dual path
  t.profile.add_segment(SegmentTime{true, 3, 5, false, 1, 4.0, 3.0, 2000000});
  t.profile.add("kv sync", 0.5, 0);
  const std::string dual = profile_text("m.gguf", t);
  EXPECT_NE(dual.find("| CPU | 3-4 | 4.000 | 3.000 | 1.000 | 40.0 % |"), std::string::npos) << dual;
  EXPECT_NE(dual.find("segments 4.000 ms/pass of the pass's 10.000; kv sync 0.500; the rest 5.500 ms/pass"),
            std::string::npos)
      << dual;
}

}  // namespace nt::bench
