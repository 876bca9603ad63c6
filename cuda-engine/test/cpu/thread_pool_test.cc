#include "cpu/thread_pool.h"

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <set>
#include <stdexcept>
#include <thread>
#include <vector>

namespace nt::cpu {
namespace {

TEST(ThreadPool, RunsEveryIndexExactlyOnceInContiguousChunks) {
  ThreadPool pool(3);
  EXPECT_EQ(pool.size(), 3);
  for (int64_t n : {0, 1, 2, 3, 4, 7, 1000}) {
    std::vector<std::atomic<int>> hits(n);
    std::vector<std::atomic<int>> running(pool.size());
    pool.parallel_for(n, [&](int64_t begin, int64_t end, int worker) {
      ASSERT_LE(0, worker);
      ASSERT_LT(worker, 3);
      ASSERT_LT(begin, end);
      EXPECT_EQ(running[worker]++, 0) << "two calls with worker " << worker << " overlap";
      for (int64_t i = begin; i < end; ++i) hits[i]++;
      running[worker]--;
    });
    for (int64_t i = 0; i < n; ++i) EXPECT_EQ(hits[i], 1) << "n=" << n << " i=" << i;
  }
}

TEST(ThreadPool, TheCallerIsWorkerZero) {
  ThreadPool pool(2);
  const auto caller = std::this_thread::get_id();
  std::atomic<bool> mismatch{false};
  pool.parallel_for(100, [&](int64_t, int64_t, int worker) {
    if ((worker == 0) != (std::this_thread::get_id() == caller)) mismatch = true;
  });
  EXPECT_FALSE(mismatch);
}

TEST(ThreadPool, AnswersThousandsOfSmallJobsQuickly) {
  // The forward pass calls parallel_for ~10 times per layer per token.
  ThreadPool pool(2);
  std::atomic<int64_t> total{0};
  const auto start = std::chrono::steady_clock::now();
  for (int call = 0; call < 20000; ++call) {
    pool.parallel_for(64, [&](int64_t begin, int64_t end, int) { total += end - begin; });
  }
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  EXPECT_EQ(total, 20000 * 64);
  EXPECT_LT(seconds, 2.0) << "per call: " << seconds / 20000 * 1e6 << " us";
}

TEST(ThreadPool, RunsANestedCallInline) {
  ThreadPool pool(2);
  std::atomic<int64_t> inner{0};
  pool.parallel_for(4, [&](int64_t begin, int64_t end, int) {
    for (int64_t i = begin; i < end; ++i) {
      pool.parallel_for(10, [&](int64_t b, int64_t e, int) { inner += e - b; });
    }
  });
  EXPECT_EQ(inner, 40);
}

TEST(ThreadPool, RethrowsAnExceptionFromAWorkerInTheCaller) {
  ThreadPool pool(2);
  EXPECT_THROW(pool.parallel_for(2, [](int64_t begin, int64_t, int) {
    if (begin == 1) throw std::runtime_error("worker failed");
  }), std::runtime_error);
  // The pool still works afterwards.
  std::atomic<int> count{0};
  pool.parallel_for(2, [&](int64_t b, int64_t e, int) { count += static_cast<int>(e - b); });
  EXPECT_EQ(count, 2);
}

TEST(ThreadPool, ASingleThreadPoolRunsOnTheCaller) {
  ThreadPool pool(1);
  int64_t seen_begin = -1, seen_end = -1;
  pool.parallel_for(5, [&](int64_t begin, int64_t end, int worker) {
    EXPECT_EQ(worker, 0);
    seen_begin = begin;
    seen_end = end;
  });
  EXPECT_EQ(seen_begin, 0);
  EXPECT_EQ(seen_end, 5);
}

TEST(ThreadPool, SizesItselfToTheMachineWhenAskedForZeroThreads) {
  ThreadPool pool(0);
  EXPECT_GE(pool.size(), 1);
}

}  // namespace
}  // namespace nt::cpu

namespace nt::cpu {

// Jobs of alternating sizes back to back, as a forward pass issues them (one token's activation
// quantization, then hundreds of rows): every index must run exactly once per job. A pool that
// read a job's chunk count apart from its claim word once ran a chunk of a finished job again on
// a 16-core machine and then waited forever; with 8 threads here this has some chance to catch it.
TEST(ThreadPool, RunsEachIndexOnceAcrossJobsOfAlternatingSizes) {
  ThreadPool pool(8);
  std::vector<std::atomic<int>> hits(70);
  for (int job = 0; job < 100000; ++job) {
    const int64_t n = job % 2 == 0 ? 1 : 1 + job % 70;
    pool.parallel_for(n, [&](int64_t begin, int64_t end, int) {
      for (int64_t i = begin; i < end; ++i) hits[i].fetch_add(1, std::memory_order_relaxed);
    });
    for (int64_t i = 0; i < n; ++i) ASSERT_EQ(hits[i].exchange(0), 1) << "job " << job << " index " << i;
  }
}

}  // namespace nt::cpu
