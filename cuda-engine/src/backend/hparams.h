// Hyper-parameters of a llama-family model, with llama.cpp's defaults: the shape every compute
// backend is built for. model/read_hparams.h reads them from GGUF metadata.
#pragma once

#include <cstdint>
#include <string>

#include "backend/rope_table.h"

namespace nt {

struct Hparams {
  std::string arch;       // "llama" or "qwen2"
  int32_t n_vocab = 0;
  int32_t n_ctx_train = 0;
  int32_t n_embd = 0;
  int32_t n_layer = 0;
  int32_t n_head = 0;
  int32_t n_head_kv = 0;
  int32_t head_dim = 0;   // n_embd / n_head unless attention.key_length says otherwise
  int32_t n_ff = 0;
  float rms_eps = 1e-5f;
  float rope_theta = 10000.0f;
  int32_t rope_dim = 0;   // dimensions of each head that RoPE rotates
  float rope_freq_scale = 1.0f;  // 1 / rope.scaling.factor for linear scaling
  RopeMode rope_mode = RopeMode::Adjacent;
  bool qkv_bias = false;  // qwen2 adds biases to Q, K and V

  int32_t n_embd_kv() const { return n_head_kv * head_dim; }
};

}  // namespace nt
