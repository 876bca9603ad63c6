// Two kernels. Each block of the first sorts one segment of a row (a power of two of at least
// 1024 logits, at most 128 segments per row) in shared memory with a bitonic network and keeps
// its top k and its (max, Σ exp(x - max)). One block per row of the second sorts the segments'
// k-lists together into the row's top k and merges the (max, sum) pairs into the log-sum-exp.
// Sorting whole segments does more comparisons than a selection would, but it is simple, exact,
// stays in shared memory (66 passes for 2048 logits), and spreads a row over up to 128 blocks.
// Timed with ncu on an H200 (base clocks, caches flushed; 128256 logits, one row, k = 1): 20 µs
// for the segments and 12 µs for the merge, against the copy of n_vocab floats per row and the
// host's pass over them that it replaces; a radix selection would be the next step if it mattered.
#include "cuda/kernels/top_candidates.h"

#include <math_constants.h>

#include <algorithm>
#include <atomic>
#include <climits>
#include <string>

#include "cuda/cuda_check.h"
#include "cuda/kernels/warp_sum.cuh"

namespace nt::cuda {

namespace {

constexpr int32_t kMaxSegments = 128;
constexpr int32_t kMinSegment = 1024;
constexpr int kMaxThreads = 1024;
constexpr int kDefaultSharedBytes = 48 * 1024;  // more needs cudaFuncSetAttribute
constexpr int kMaxSharedBytes = 64 * 1024;      // 8192 (logit, id) pairs; sm_80+ allow 99 KB or more

// One segment's result in the scratch: its top k (only the first k entries are written).
struct SegmentTop {
  Candidate top[kMaxTopCandidates];
  float max;  // the segment's first-ranked logit
  float sum;  // Σ exp(x - max) over the segment; 0 when max is -inf
};

int32_t segment_size(int64_t n_vocab) {
  int32_t size = kMinSegment;
  while (int64_t{size} * kMaxSegments < n_vocab) size *= 2;
  return size;
}

int32_t segment_count(int64_t n_vocab) {
  const int32_t size = segment_size(n_vocab);
  return static_cast<int32_t>((n_vocab + size - 1) / size);
}

int32_t next_power_of_two(int32_t n) {
  int32_t p = 1;
  while (p < n) p *= 2;
  return p;
}

// sample/top_candidates.h's ranks_before on (logit, id) pairs.
__device__ __forceinline__ bool pair_ranks_before(float a, int32_t a_id, float b, int32_t b_id) {
  if (a > b) return true;
  if (a < b) return false;
  const bool a_nan = a != a, b_nan = b != b;
  if (a_nan != b_nan) return b_nan;
  return a_id < b_id;
}

// Padding that ranks after every real pair, NaNs included (their ids are below INT_MAX).
constexpr int32_t kPaddingId = INT_MAX;

// Sorts n pairs (n a power of two) into ranks_before order; all threads of the block call it.
__device__ void bitonic_sort(float* logit, int32_t* id, int32_t n) {
  for (int32_t size = 2; size <= n; size *= 2) {
    for (int32_t stride = size / 2; stride > 0; stride /= 2) {
      for (int32_t i = threadIdx.x; i < n / 2; i += blockDim.x) {
        const int32_t lo = 2 * i - (i & (stride - 1)), hi = lo + stride;
        const bool in_order = (lo & size) == 0;  // this run ends in rank order; the other in reverse
        if (pair_ranks_before(logit[hi], id[hi], logit[lo], id[lo]) == in_order) {
          const float l = logit[lo];
          logit[lo] = logit[hi];
          logit[hi] = l;
          const int32_t d = id[lo];
          id[lo] = id[hi];
          id[hi] = d;
        }
      }
      __syncthreads();
    }
  }
}

// The block's total of x (blockDim.x a multiple of 32), in every thread.
__device__ double block_sum(double x) {
  __shared__ double warp_sums[kMaxThreads / 32];
  __shared__ double total;
  x = warp_sum(x);
  if (threadIdx.x % 32 == 0) warp_sums[threadIdx.x / 32] = x;
  __syncthreads();
  if (threadIdx.x == 0) {
    double t = 0.0;
    for (unsigned w = 0; w < blockDim.x / 32; ++w) t += warp_sums[w];
    total = t;
  }
  __syncthreads();
  return total;
}

// Block (row, segment): dynamic shared memory of `size` pairs.
__global__ void segment_top_kernel(const float* __restrict__ logits, int64_t n_vocab, int32_t size, int32_t k,
                                   SegmentTop* __restrict__ out) {
  extern __shared__ float shared[];
  float* logit = shared;
  int32_t* id = reinterpret_cast<int32_t*>(shared + size);
  const int64_t begin = int64_t{blockIdx.y} * size;
  const int32_t count = static_cast<int32_t>(min(int64_t{size}, n_vocab - begin));
  const float* x = logits + int64_t{blockIdx.x} * n_vocab + begin;
  for (int32_t i = threadIdx.x; i < size; i += blockDim.x) {
    logit[i] = i < count ? x[i] : CUDART_NAN_F;
    id[i] = i < count ? static_cast<int32_t>(begin + i) : kPaddingId;
  }
  __syncthreads();
  bitonic_sort(logit, id, size);
  // The real pairs are the first `count` now. expf is within 2 ulp; the sum is in double.
  const float max = logit[0];
  double sum = 0.0;
  if (max != -CUDART_INF_F) {
    for (int32_t i = threadIdx.x; i < count; i += blockDim.x) sum += expf(logit[i] - max);
  }
  sum = block_sum(sum);
  SegmentTop& o = out[int64_t{blockIdx.x} * gridDim.y + blockIdx.y];
  for (int32_t i = threadIdx.x; i < k; i += blockDim.x) o.top[i] = Candidate{id[i], logit[i]};
  if (threadIdx.x == 0) {
    o.max = max;
    o.sum = static_cast<float>(sum);
  }
}

// Block row: dynamic shared memory of `size` pairs (a power of two >= segments × k).
__global__ void merge_top_kernel(const SegmentTop* __restrict__ partial, int32_t segments, int32_t size, int32_t k,
                                 Candidate* __restrict__ top, float* __restrict__ log_sum_exp) {
  extern __shared__ float shared[];
  float* logit = shared;
  int32_t* id = reinterpret_cast<int32_t*>(shared + size);
  const SegmentTop* p = partial + int64_t{blockIdx.x} * segments;
  for (int32_t i = threadIdx.x; i < size; i += blockDim.x) {
    const int32_t s = i / k;
    const Candidate c = s < segments ? p[s].top[i % k] : Candidate{kPaddingId, CUDART_NAN_F};
    logit[i] = c.logit;
    id[i] = c.id;
  }
  __syncthreads();
  bitonic_sort(logit, id, size);
  // The row's max is its first-ranked logit; each segment's sum is rescaled to it.
  const float max = logit[0];
  double sum = 0.0;
  for (int32_t s = threadIdx.x; s < segments; s += blockDim.x) {
    if (p[s].max != -CUDART_INF_F) sum += p[s].sum * exp(static_cast<double>(p[s].max) - max);
  }
  sum = block_sum(sum);
  Candidate* row_top = top + int64_t{blockIdx.x} * k;
  for (int32_t i = threadIdx.x; i < k; i += blockDim.x) row_top[i] = Candidate{id[i], logit[i]};
  if (threadIdx.x == 0) {
    log_sum_exp[blockIdx.x] = max == -CUDART_INF_F ? max : static_cast<float>(max + log(sum));
  }
}

// Lets both kernels take more than 48 KB of shared memory, once per device (a function attribute,
// not stream work: allowed while a graph is being captured).
void allow_large_shared_memory() {
  static std::atomic<uint64_t> done_devices{0};
  int device = 0;
  CUDA_CHECK(cudaGetDevice(&device));
  const uint64_t bit = uint64_t{1} << (device % 64);
  if (done_devices.load(std::memory_order_acquire) & bit) return;
  CUDA_CHECK(cudaFuncSetAttribute(segment_top_kernel, cudaFuncAttributeMaxDynamicSharedMemorySize, kMaxSharedBytes));
  CUDA_CHECK(cudaFuncSetAttribute(merge_top_kernel, cudaFuncAttributeMaxDynamicSharedMemorySize, kMaxSharedBytes));
  done_devices.fetch_or(bit, std::memory_order_release);
}

int threads_for(int32_t pairs) { return std::min(kMaxThreads, std::max(32, pairs / 2)); }

}  // namespace

int64_t top_candidates_scratch_floats(int64_t rows, int64_t n_vocab) {
  return rows * segment_count(n_vocab) * static_cast<int64_t>(sizeof(SegmentTop) / sizeof(float));
}

void top_candidates(const float* logits, int64_t rows, int64_t n_vocab, int32_t k, float* scratch, Candidate* top,
                    float* log_sum_exp, cudaStream_t stream) {
  if (rows <= 0) return;
  if (n_vocab > kTopCandidatesMaxVocab) {
    throw EngineError(NT_E_UNSUPPORTED, "a vocabulary of " + std::to_string(n_vocab) +
                                            " tokens is more than top_candidates handles (" +
                                            std::to_string(kTopCandidatesMaxVocab) + ")");
  }
  if (k < 1 || k > kMaxTopCandidates || k > n_vocab) {
    throw EngineError(NT_E_INTERNAL, "top_candidates cannot keep " + std::to_string(k) + " of " +
                                         std::to_string(n_vocab) + " logits");
  }
  const int32_t size = segment_size(n_vocab), segments = segment_count(n_vocab);
  const int32_t merged = next_power_of_two(segments * k);
  const int segment_bytes = size * static_cast<int>(sizeof(float) + sizeof(int32_t));
  const int merged_bytes = merged * static_cast<int>(sizeof(float) + sizeof(int32_t));
  if (std::max(segment_bytes, merged_bytes) > kDefaultSharedBytes) allow_large_shared_memory();
  SegmentTop* partial = reinterpret_cast<SegmentTop*>(scratch);
  const dim3 grid(static_cast<unsigned>(rows), static_cast<unsigned>(segments));
  segment_top_kernel<<<grid, threads_for(size), segment_bytes, stream>>>(logits, n_vocab, size, k, partial);
  CUDA_CHECK_LAUNCH("segment_top_kernel");
  merge_top_kernel<<<static_cast<unsigned>(rows), threads_for(merged), merged_bytes, stream>>>(
      partial, segments, merged, k, top, log_sum_exp);
  CUDA_CHECK_LAUNCH("merge_top_kernel");
}

}  // namespace nt::cuda
