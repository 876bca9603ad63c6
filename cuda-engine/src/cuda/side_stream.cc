#include "cuda/side_stream.h"

#include "cuda/cuda_check.h"

namespace nt::cuda {

SideStream::SideStream() {
  try {
    CUDA_CHECK(cudaStreamCreateWithFlags(&stream_, cudaStreamNonBlocking));
    CUDA_CHECK(cudaEventCreateWithFlags(&forked_, cudaEventDisableTiming));
    CUDA_CHECK(cudaEventCreateWithFlags(&joined_, cudaEventDisableTiming));
  } catch (...) {
    release();
    throw;
  }
}

SideStream::~SideStream() { release(); }

void SideStream::release() {
  if (joined_) cudaEventDestroy(joined_);
  if (forked_) cudaEventDestroy(forked_);
  if (stream_) cudaStreamDestroy(stream_);
}

cudaStream_t SideStream::fork(cudaStream_t main) {
  CUDA_CHECK(cudaEventRecord(forked_, main));
  CUDA_CHECK(cudaStreamWaitEvent(stream_, forked_, 0));
  return stream_;
}

void SideStream::join(cudaStream_t main) {
  CUDA_CHECK(cudaEventRecord(joined_, stream_));
  CUDA_CHECK(cudaStreamWaitEvent(main, joined_, 0));
}

void SideStream::synchronize() { cudaStreamSynchronize(stream_); }

}  // namespace nt::cuda
