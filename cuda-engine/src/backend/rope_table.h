// RoPE as the model defines it, for every backend: the parameters from the hyper-parameters and
// the per-position cos/sin table, built on the host. The CPU applies it with ops::rope
// (cpu/ops/rope.h); the CUDA backend uploads each token's table for its rope kernel.
#pragma once

#include <cstdint>
#include <vector>

#include "tensor/tensor_view.h"

namespace nt {

struct Hparams;

// How RoPE pairs the dimensions of a head: llama GGUFs store Q/K permuted for adjacent pairs
// (x[2i], x[2i+1]) — llama.cpp's LLAMA_ROPE_TYPE_NORM; qwen2 keeps the Hugging Face layout,
// rotating x[i] with x[i + d/2] — LLAMA_ROPE_TYPE_NEOX.
enum class RopeMode { Adjacent, HalfSplit };

struct RopeParams {
  int32_t head_dim = 0;
  int32_t rope_dim = 0;        // the first rope_dim dimensions of each head rotate; the rest pass
  float theta_base = 10000.0f;
  float freq_scale = 1.0f;     // linear scaling: positions are multiplied by this
  const float* freq_factors = nullptr;  // Llama 3.1 rope_freqs: per-pair divisors of the angle
  RopeMode mode = RopeMode::Adjacent;
};

// A model's rope: its hyper-parameters and, when the model has one, Llama 3.1's rope_freqs.weight
// (an F32 tensor in host memory; data == nullptr when absent). CPU and CUDA passes both use it.
RopeParams rope_params(const Hparams& h, const TensorView& rope_freqs);

// The cos and sin of every rotated pair at one position. Angles follow ggml's rope:
// theta_i = pos * base^(-2i/rope_dim), built by repeated multiplication in float, divided by the
// frequency factor, times freq_scale. One table serves a token's query and key heads.
struct RopeTable {
  std::vector<float> cos, sin;
};
void rope_table(int32_t pos, const RopeParams& p, RopeTable& table);

}  // namespace nt
