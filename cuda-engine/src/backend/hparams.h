// Hyper-parameters of a llama-family model, read from GGUF metadata under the architecture's
// prefix ("llama.block_count", "qwen2.embedding_length", ...), with llama.cpp's defaults.
#pragma once

#include <cstdint>
#include <string>

#include "gguf/gguf_file.h"

namespace nt {

// How RoPE pairs the dimensions of a head: llama GGUFs store Q/K permuted for adjacent pairs
// (x[2i], x[2i+1]) — llama.cpp's LLAMA_ROPE_TYPE_NORM; qwen2 keeps the Hugging Face layout,
// rotating x[i] with x[i + d/2] — LLAMA_ROPE_TYPE_NEOX.
enum class RopeMode { Adjacent, HalfSplit };

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

// Reads and checks the hyper-parameters; throws EngineError NT_E_UNSUPPORTED for an architecture
// other than llama/qwen2 (naming it), NT_E_BAD_GGUF for missing or inconsistent keys.
Hparams read_hparams(const GgufFile& file);

}  // namespace nt
