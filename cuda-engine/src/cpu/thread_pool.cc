#include "cpu/thread_pool.h"

#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <exception>
#include <mutex>
#include <thread>
#include <vector>

#if defined(__x86_64__)
#include <immintrin.h>
#endif

namespace nt::cpu {

namespace {

// parallel_for runs ~10 times per layer per token, tens of microseconds apart: a worker that
// slept after each job would pay a futex wake-up every time. Idle workers poll for this many
// pauses (~0.5 ms on current x86) before sleeping, so an idle pool costs no CPU.
constexpr int kSpinPolls = 20000;

// Each job is cut into up to this many chunks per thread, claimed one at a time: a thread that
// starts late (woken from sleep, or preempted on a busy machine) still finds work, and the
// others are not left waiting for it.
constexpr int64_t kChunksPerThread = 4;

// Chunk count and index share the 16-bit fields of the claim word.
constexpr int64_t kMaxChunks = 0xFFFF;

inline void cpu_relax() {
#if defined(__x86_64__)
  _mm_pause();
#else
  std::this_thread::yield();
#endif
}

// The pool whose job the current thread is running: a nested parallel_for on it runs inline.
thread_local const void* current_pool = nullptr;

}  // namespace

struct ThreadPool::State {
  using Fn = std::function<void(int64_t, int64_t, int)>;

  int size = 1;  // workers + the calling thread
  std::vector<std::thread> workers;

  std::mutex mutex;
  std::condition_variable job_posted;    // idle workers sleep here
  std::condition_variable job_finished;  // the caller sleeps here if chunks run long
  std::atomic<uint64_t> job_number{0};   // the latest job; workers watch it
  bool stopping = false;

  // The current job, packed in one word: job number (32 bits) | chunk count (16) | next
  // unclaimed chunk (16). A claim is a compare-and-swap on it. The chunk count must live in the
  // same word: read from a separate variable, a worker that still sees the previous job's word
  // could pair it with the new job's (larger) count and "claim" a chunk of a finished job in the
  // moment before the new word is published — running it twice and over-counting chunks_done,
  // which left the caller waiting forever (seen on a 16-core machine). fn and n are written before
  // the word is published and read only after a chunk of that job is claimed, while the job
  // cannot finish.
  std::atomic<uint64_t> claim{0};
  std::atomic<const Fn*> fn{nullptr};
  std::atomic<int64_t> n{0};
  std::atomic<int64_t> chunks_done{0};
  std::exception_ptr failure;  // the first exception fn threw, guarded by mutex

  std::mutex call_mutex;  // one parallel_for at a time per pool

  // Claims and runs chunks of job `job` until none is left.
  void run_chunks(uint64_t job, int worker) {
    for (;;) {
      uint64_t c = claim.load(std::memory_order_acquire);
      if ((c >> 32) != (job & 0xFFFFFFFF)) return;
      const int64_t total = static_cast<int64_t>((c >> 16) & 0xFFFF);
      const int64_t chunk = static_cast<int64_t>(c & 0xFFFF);
      if (chunk >= total) return;
      if (!claim.compare_exchange_weak(c, c + 1, std::memory_order_acq_rel)) continue;

      const int64_t count = n.load(std::memory_order_relaxed);
      const void* outer = current_pool;
      current_pool = this;
      try {
        (*fn.load(std::memory_order_relaxed))(count * chunk / total, count * (chunk + 1) / total, worker);
      } catch (...) {
        std::lock_guard<std::mutex> lock(mutex);
        if (!failure) failure = std::current_exception();
      }
      current_pool = outer;
      if (chunks_done.fetch_add(1, std::memory_order_acq_rel) + 1 == total) {
        std::lock_guard<std::mutex> lock(mutex);  // pairs with the caller's predicate check
        job_finished.notify_one();
      }
    }
  }

  void worker_loop(int worker) {
    uint64_t seen = 0;
    for (;;) {
      uint64_t posted = job_number.load(std::memory_order_acquire);
      for (int i = 0; i < kSpinPolls && posted == seen; ++i) {
        cpu_relax();
        posted = job_number.load(std::memory_order_acquire);
      }
      if (posted == seen) {
        std::unique_lock<std::mutex> lock(mutex);
        job_posted.wait(lock, [&] { return stopping || job_number.load(std::memory_order_acquire) != seen; });
        if (stopping) return;
        posted = job_number.load(std::memory_order_acquire);
      }
      seen = posted;
      run_chunks(posted, worker);
    }
  }
};

ThreadPool::ThreadPool(int threads) : state_(std::make_unique<State>()) {
  if (threads <= 0) threads = static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
  state_->size = threads;
  state_->workers.reserve(threads - 1);
  for (int worker = 1; worker < threads; ++worker) {
    state_->workers.emplace_back([state = state_.get(), worker] { state->worker_loop(worker); });
  }
}

ThreadPool::~ThreadPool() {
  {
    std::lock_guard<std::mutex> lock(state_->mutex);
    state_->stopping = true;
  }
  state_->job_posted.notify_all();
  for (auto& worker : state_->workers) worker.join();
}

int ThreadPool::size() const { return state_->size; }

void ThreadPool::parallel_for(int64_t n, const std::function<void(int64_t begin, int64_t end, int worker)>& fn) {
  State& s = *state_;
  if (n <= 0) return;
  if (s.size == 1 || current_pool == &s) {
    fn(0, n, 0);
    return;
  }
  std::lock_guard<std::mutex> call_lock(s.call_mutex);
  const uint64_t job = s.job_number.load(std::memory_order_relaxed) + 1;
  const int64_t total = std::min<int64_t>({n, int64_t{s.size} * kChunksPerThread, kMaxChunks});
  s.fn.store(&fn, std::memory_order_relaxed);
  s.n.store(n, std::memory_order_relaxed);
  s.chunks_done.store(0, std::memory_order_relaxed);
  s.failure = nullptr;
  s.claim.store(((job & 0xFFFFFFFF) << 32) | (static_cast<uint64_t>(total) << 16), std::memory_order_release);
  {
    // Publishing under the mutex: a worker about to sleep either sees the new job number in
    // its predicate or is already waiting and gets the notification.
    std::lock_guard<std::mutex> lock(s.mutex);
    s.job_number.store(job, std::memory_order_release);
  }
  s.job_posted.notify_all();

  s.run_chunks(job, 0);

  // Every chunk is claimed; wait for those other threads are still running.
  for (int i = 0; i < kSpinPolls && s.chunks_done.load(std::memory_order_acquire) != total; ++i) cpu_relax();
  if (s.chunks_done.load(std::memory_order_acquire) != total) {
    std::unique_lock<std::mutex> lock(s.mutex);
    s.job_finished.wait(lock, [&] { return s.chunks_done.load(std::memory_order_acquire) == total; });
  }
  if (s.failure) std::rethrow_exception(s.failure);
}

}  // namespace nt::cpu
