// The tensors of a llama-family model, looked up by llama.cpp's names, with their bytes read into
// memory. (The tiered placement of DESIGN §2 replaces "all in memory" later; the forward pass only
// ever sees TensorViews, so it will not change.)
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "gguf/gguf_file.h"
#include "model/hparams.h"
#include "tensor/tensor_view.h"

namespace nt {

struct LayerWeights {
  TensorView attn_norm, wq, wk, wv, wo;
  TensorView bq, bk, bv;  // qwen2 only; data == nullptr otherwise
  TensorView ffn_norm, w_gate, w_up, w_down;
};

struct ModelWeights {
  TensorView tok_embd;     // [n_embd, n_vocab]
  TensorView output_norm;  // [n_embd]
  TensorView output;       // [n_embd, n_vocab]; the embedding table when the output is tied
  TensorView rope_freqs;   // [rope_dim / 2] factors of Llama 3.1's rope scaling; data == nullptr if absent
  std::vector<LayerWeights> layers;
  int32_t n_vocab = 0;
  bool tied_output = false;

  std::shared_ptr<uint8_t> storage;  // owns the bytes every TensorView points into
  uint64_t storage_bytes = 0;
};

// Called with (bytes read so far, total bytes) while the weights load.
using LoadProgress = std::function<void(uint64_t done, uint64_t total)>;

// Checks every tensor the architecture needs (name, type, shape) and reads the data section.
// Throws EngineError: NT_E_BAD_GGUF naming a missing or mis-shaped tensor, NT_E_IO for read
// failures, NT_E_OUT_OF_MEMORY when the weights do not fit.
ModelWeights load_weights(const std::string& path, const GgufFile& file, const Hparams& h,
                          const LoadProgress& progress);

}  // namespace nt
