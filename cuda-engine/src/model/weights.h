// The tensors of a llama-family model, looked up by llama.cpp's names and checked (name, type,
// shape) before a byte is read. Where each tensor's bytes live is the placement's business
// (model/placed_weights.h): binding takes the address of each tensor from the caller, and a
// tensor streamed each pass has none until the forward pass asks for its layer.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "backend/hparams.h"
#include "backend/weight_source.h"
#include "gguf/gguf_file.h"
#include "tensor/tensor_view.h"

namespace nt {

struct ModelWeights {
  TensorView tok_embd;     // [n_embd, n_vocab]
  TensorView output_norm;  // [n_embd]
  TensorView output;       // [n_embd, n_vocab]; the embedding table when the output is tied
  TensorView rope_freqs;   // [rope_dim / 2] factors of Llama 3.1's rope scaling; data == nullptr if absent
  std::vector<LayerWeights> layers;
  int32_t n_vocab = 0;
  bool tied_output = false;
};

// One tensor the model uses, and which view of ModelWeights it fills.
struct BoundTensor {
  std::string name;                 // "output" for a tied head, which reuses token_embd's bytes
  const GgufTensorInfo* info = nullptr;
  int32_t layer = -1;
  TensorView LayerWeights::*layer_view = nullptr;  // when layer >= 0
  TensorView ModelWeights::*model_view = nullptr;  // when layer < 0
  TensorView& view(ModelWeights& w) const { return layer >= 0 ? w.layers[layer].*layer_view : w.*model_view; }
};

struct BoundWeights {
  ModelWeights views;
  std::vector<BoundTensor> tensors;  // token_embd first, then the other non-layer tensors, then layers
};

// Called with (bytes read so far, total bytes) while the weights load.
using LoadProgress = std::function<void(uint64_t done, uint64_t total)>;

// Checks every tensor the architecture needs (name, type, shape) and lists them. Views have no
// data yet. Throws EngineError NT_E_BAD_GGUF naming a missing or mis-shaped tensor and
// NT_E_UNSUPPORTED for a norm, bias or rope factor that is not F32.
BoundWeights bind_weights(const GgufFile& file, const Hparams& h);

}  // namespace nt
