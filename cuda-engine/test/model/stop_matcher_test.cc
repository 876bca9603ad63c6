#include <gtest/gtest.h>

#include "engine/stop_matcher.h"

namespace nt {

TEST(StopMatcher, ReleasesTextThatCannotStartAStopString) {
  StopMatcher m({"\n\nUser:"});
  EXPECT_EQ(m.push("Hello"), "Hello");
  EXPECT_EQ(m.push(" world\n"), " world");  // "\n" may begin the stop string
  EXPECT_EQ(m.held(), "\n");
  EXPECT_EQ(m.push("ok"), "\nok");
  EXPECT_FALSE(m.stopped());
}

TEST(StopMatcher, StopsBeforeAStopStringSplitAcrossPieces) {
  StopMatcher m({"</s>", "STOP"});
  EXPECT_EQ(m.push("abc<"), "abc");
  EXPECT_EQ(m.push("/s"), "");
  EXPECT_EQ(m.push("> more"), "");
  EXPECT_TRUE(m.stopped());
  EXPECT_EQ(m.push("later"), "");
}

TEST(StopMatcher, ReleasesTheTextBeforeTheEarliestStop) {
  StopMatcher m({"B", "A"});
  EXPECT_EQ(m.push("xxAyyB"), "xx");
  EXPECT_TRUE(m.stopped());
}

TEST(StopMatcher, WithoutStopsEverythingPasses) {
  StopMatcher m({});
  EXPECT_EQ(m.push("anything\n"), "anything\n");
}

}  // namespace nt
