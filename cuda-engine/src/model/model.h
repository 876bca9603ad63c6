// A loaded llama-family model on the CPU: hyper-parameters, weights, tokenizer, and the forward
// pass with its thread pool. Forward passes are serialized by a mutex: the generation loop and
// one-off evaluations may both call in.
#pragma once

#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "cpu/thread_pool.h"
#include "gguf/gguf_file.h"
#include "model/batch.h"
#include "model/hparams.h"
#include "model/llama_forward.h"
#include "model/weights.h"
#include "tokenizer/tokenizer.h"

namespace nt {

struct ModelOptions {
  int32_t n_ctx = 0;    // context size per sequence; 0: the training context, at most 4096
  int32_t threads = 0;  // CPU threads; 0: one per hardware thread
};

class Model {
 public:
  // Throws EngineError naming what is wrong or unsupported (architecture, tensor, type, file).
  static std::unique_ptr<Model> load(const std::string& path, const ModelOptions& options, const LoadProgress& progress);

  const Hparams& hparams() const { return hparams_; }
  const ModelWeights& weights() const { return weights_; }
  const Tokenizer& tokenizer() const { return *tokenizer_; }
  const GgufFile& gguf() const { return gguf_; }
  int32_t n_ctx() const { return n_ctx_; }
  int32_t n_vocab() const { return weights_.n_vocab; }
  int32_t threads() const { return pool_.size(); }

  std::unique_ptr<KvCache> new_cache() const;

  // Throws NT_E_BAD_REQUEST for an id outside the vocabulary.
  void check_tokens(const std::vector<TokenId>& tokens) const;

  // One pass; logits of the tokens that want them, n_vocab floats each, in batch order.
  void forward(const Batch& batch, std::vector<float>& logits);

  // The logits after each of `tokens`, fed from position 0 through a fresh cache in batches of
  // n_batch: n × n_vocab floats. What the oracle tests compare with llama.cpp.
  std::vector<float> evaluate(const std::vector<TokenId>& tokens, int32_t n_batch);

 private:
  Model(GgufFile gguf, Hparams h, ModelWeights w, std::unique_ptr<Tokenizer> t, int32_t n_ctx, int32_t threads);

  GgufFile gguf_;
  Hparams hparams_;
  ModelWeights weights_;
  std::unique_ptr<Tokenizer> tokenizer_;
  int32_t n_ctx_;
  cpu::ThreadPool pool_;
  std::mutex forward_mutex_;
  ForwardScratch scratch_;
};

}  // namespace nt
