// A fixed pool of worker threads for data-parallel loops (matrix rows, attention heads).
#pragma once

#include <cstdint>
#include <functional>
#include <memory>

namespace nt::cpu {

class ThreadPool {
 public:
  // threads <= 0: one per hardware thread.
  explicit ThreadPool(int threads);
  ~ThreadPool();
  ThreadPool(const ThreadPool&) = delete;
  ThreadPool& operator=(const ThreadPool&) = delete;

  int size() const;

  // Splits [0, n) into contiguous chunks and runs fn(begin, end, worker) on them with every
  // thread, the caller included, returning when all are done. Chunks are claimed, not assigned:
  // a thread may run several (each a distinct range) or none, so a busy or descheduled worker
  // never holds the caller up. `worker` is the running thread's index in [0, size()); two calls
  // with the same index never overlap, so per-worker scratch is safe. A nested call from inside
  // fn runs inline. fn should not throw; if it does, the first exception is rethrown here.
  void parallel_for(int64_t n, const std::function<void(int64_t begin, int64_t end, int worker)>& fn);

 private:
  struct State;
  std::unique_ptr<State> state_;
};

}  // namespace nt::cpu
