// Resident decode passes as CUDA graphs. A one-token pass over a model that lives in VRAM issues
// ~500 small kernels; launched one by one, the host's launch cost and the gaps between kernels
// take a large share of the ~2 ms the weights need at memory speed. Such a pass's launches depend
// only on its shape (tokens, kept rows, attention chunks, sampled candidates, sequences): positions,
// block tables, RoPE tables and embeddings reach the kernels through device buffers the pass uploads
// from fixed pinned memory. So each shape is captured once and replayed, launches and all, with a
// single cudaGraphLaunch. Only for passes whose weights stay put: a streamed slot changes address
// and waits on the copy thread's events, so streamed passes launch directly.
#pragma once

#include <cuda_runtime_api.h>

#include <cstdint>
#include <functional>
#include <map>
#include <tuple>

namespace nt::cuda {

// What decides every launch of a resident pass. Anything a kernel takes by value or by pointer
// that can differ between two passes of the same key must be in it.
struct PassShape {
  int64_t tokens = 0;
  int64_t kept = 0;            // rows that want logits
  int32_t attention_chunks = 0;
  int32_t candidates = 0;      // 0: full logits copied back
  const void* logits = nullptr;  // the logits buffer (it moves when it grows)
  int64_t table_rows = 0;        // sequences in the pass: rows of block tables uploaded
  const void* tables = nullptr;  // the block tables' buffer (it moves when it grows)
  bool fused = false;            // NT_CUDA_FUSED: fused decode kernels or the separate ones
  // The KV pool the kernels read and write, and its element type (which attention kernels run):
  // a backend may outlive a pool and get another (a test's per-type pools; a model given a new
  // cache), whose memory a graph captured on the old one would not touch.
  const void* kv_k = nullptr;
  const void* kv_v = nullptr;
  int32_t kv_element = 0;

  bool operator<(const PassShape& o) const {
    return std::tie(tokens, kept, attention_chunks, candidates, logits, table_rows, tables, fused, kv_k, kv_v,
                    kv_element) < std::tie(o.tokens, o.kept, o.attention_chunks, o.candidates, o.logits,
                                           o.table_rows, o.tables, o.fused, o.kv_k, o.kv_v, o.kv_element);
  }
};

class PassGraphs {
 public:
  PassGraphs() = default;
  ~PassGraphs();
  PassGraphs(const PassGraphs&) = delete;
  PassGraphs& operator=(const PassGraphs&) = delete;

  // Runs the pass that `issue` enqueues on `stream`: the first time for `shape` by capturing
  // issue's work into a graph, later by launching that graph without calling issue at all.
  // Throws what issue throws (the capture is abandoned) or EngineError NT_E_INTERNAL.
  void run(const PassShape& shape, cudaStream_t stream, const std::function<void()>& issue);

 private:
  cudaGraphExec_t capture(cudaStream_t stream, const std::function<void()>& issue);
  void clear();

  std::map<PassShape, cudaGraphExec_t> graphs_;
};

}  // namespace nt::cuda
