#include "cuda/pass_graphs.h"

#include "cuda/cuda_check.h"

namespace nt::cuda {

namespace {

// Shapes seen in practice are few (a decode shape per 128 positions of context, a handful of
// batch sizes); the cap only bounds a pathological mix.
constexpr size_t kMaxGraphs = 256;

}  // namespace

PassGraphs::~PassGraphs() { clear(); }

void PassGraphs::clear() {
  for (auto& [shape, exec] : graphs_) cudaGraphExecDestroy(exec);
  graphs_.clear();
}

void PassGraphs::run(const PassShape& shape, cudaStream_t stream, const std::function<void()>& issue) {
  auto it = graphs_.find(shape);
  if (it == graphs_.end()) {
    if (graphs_.size() >= kMaxGraphs) clear();
    it = graphs_.emplace(shape, capture(stream, issue)).first;
  }
  CUDA_CHECK(cudaGraphLaunch(it->second, stream));
}

cudaGraphExec_t PassGraphs::capture(cudaStream_t stream, const std::function<void()>& issue) {
  // Thread-local mode: another model's thread may allocate or synchronise meanwhile.
  CUDA_CHECK(cudaStreamBeginCapture(stream, cudaStreamCaptureModeThreadLocal));
  try {
    issue();
  } catch (...) {
    cudaGraph_t abandoned = nullptr;
    if (cudaStreamEndCapture(stream, &abandoned) == cudaSuccess && abandoned) cudaGraphDestroy(abandoned);
    cudaGetLastError();
    throw;
  }
  cudaGraph_t graph = nullptr;
  CUDA_CHECK(cudaStreamEndCapture(stream, &graph));
  cudaGraphExec_t exec = nullptr;
  const cudaError_t err = cudaGraphInstantiate(&exec, graph, 0);
  cudaGraphDestroy(graph);
  CUDA_CHECK(err);
  return exec;
}

}  // namespace nt::cuda
