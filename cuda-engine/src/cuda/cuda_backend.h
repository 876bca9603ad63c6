// The CUDA compute backend: the llama-family forward pass of cpu/llama_forward.h with kernels
// that dequantize every supported weight type on the fly, on the compute stream of a
// CudaStreamDevice (whose copy stream the weight streamer fills slots on). Only compiled with the
// CUDA backend (NT_WITH_CUDA).
#pragma once

#include <memory>

#include "backend/compute_backend.h"
#include "cuda/cuda_stream_device.h"

namespace nt {

// max_batch: the most tokens one forward pass carries (scratch is sized for it).
std::unique_ptr<ComputeBackend> make_cuda_backend(const Hparams& h, int32_t n_vocab, CudaStreamDevice& device,
                                                  int32_t max_batch);

}  // namespace nt
