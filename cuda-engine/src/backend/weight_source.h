// How the forward pass reaches its weights: the host-side tensors directly, the per-pass ones
// through begin/end brackets, because under the tiered placement (DESIGN §2) a streamed block is
// only in device memory between its begin and its end. Views from begin_* point into the compute
// device's memory (VRAM on CUDA); host views point into host memory.
#pragma once

#include "tensor/tensor_view.h"

namespace nt {

// One layer's tensors as the forward pass sees them (model/weights.h binds them by llama.cpp's
// names).
struct LayerWeights {
  TensorView attn_norm, wq, wk, wv, wo;
  TensorView bq, bk, bv;  // qwen2 only; data == nullptr otherwise
  TensorView ffn_norm, w_gate, w_up, w_down;
};

struct OutputWeights {
  TensorView output_norm;  // [n_embd]
  TensorView output;       // [n_embd, n_vocab]
};

class WeightSource {
 public:
  virtual ~WeightSource() = default;

  // In host memory always: each token needs one row of the embedding, and RoPE tables are built
  // on the host.
  virtual const TensorView& tok_embd() const = 0;
  virtual const TensorView& rope_freqs() const = 0;  // data == nullptr when the model has none

  // Called in order every pass: layer 0 .. n_layer-1, then the output. A begin may wait for (CPU)
  // or order the device behind (CUDA) the copies of its tensors; an end says that the work
  // reading them has been issued. Throws EngineError (NT_E_IO ...) when the pipeline failed.
  virtual LayerWeights begin_layer(int layer) = 0;
  virtual void end_layer(int layer) = 0;
  virtual OutputWeights begin_output() = 0;
  virtual void end_output() = 0;

  // True when nothing streams: every view begin_* returns is the same device address every pass
  // and the brackets order nothing, so a backend may replay a recorded pass (cuda/pass_graphs.h).
  virtual bool resident() const = 0;
};

}  // namespace nt
