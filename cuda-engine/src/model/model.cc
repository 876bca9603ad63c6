#include "model/model.h"

#include <algorithm>

#include "engine_error.h"

namespace nt {

namespace {

constexpr int32_t kDefaultMaxContext = 4096;

}  // namespace

void Model::check_tokens(const std::vector<TokenId>& tokens) const {
  for (TokenId t : tokens) {
    if (t < 0 || t >= n_vocab()) {
      throw EngineError("NT_E_BAD_REQUEST", "token id " + std::to_string(t) + " is outside the vocabulary (0.." +
                                                std::to_string(n_vocab() - 1) + ")");
    }
  }
}

Model::Model(GgufFile gguf, Hparams h, ModelWeights w, std::unique_ptr<Tokenizer> t, int32_t n_ctx, int32_t threads)
    : gguf_(std::move(gguf)), hparams_(std::move(h)), weights_(std::move(w)), tokenizer_(std::move(t)),
      n_ctx_(n_ctx), pool_(threads) {}

std::unique_ptr<Model> Model::load(const std::string& path, const ModelOptions& options, const LoadProgress& progress) {
  GgufFile gguf = read_gguf_file(path);
  Hparams h = read_hparams(gguf);
  std::unique_ptr<Tokenizer> tokenizer = Tokenizer::from_gguf(gguf);
  if (options.n_ctx < 0) throw EngineError("NT_E_BAD_REQUEST", "context size must be positive");
  const int32_t n_ctx = options.n_ctx > 0 ? options.n_ctx : std::min(h.n_ctx_train, kDefaultMaxContext);
  ModelWeights w = load_weights(path, gguf, h, progress);
  if (tokenizer->n_vocab() > w.n_vocab) {
    throw bad_gguf("the tokenizer has " + std::to_string(tokenizer->n_vocab()) + " tokens but the embedding only " +
                   std::to_string(w.n_vocab));
  }
  return std::unique_ptr<Model>(new Model(std::move(gguf), std::move(h), std::move(w), std::move(tokenizer), n_ctx,
                                          options.threads));
}

std::unique_ptr<KvCache> Model::new_cache() const {
  return std::make_unique<KvCache>(hparams_.n_layer, n_ctx_, hparams_.n_embd_kv());
}

void Model::forward(const Batch& batch, std::vector<float>& logits) {
  std::lock_guard<std::mutex> lock(forward_mutex_);
  llama_forward(hparams_, weights_, batch, scratch_, pool_, logits);
}

std::vector<float> Model::evaluate(const std::vector<TokenId>& tokens, int32_t n_batch) {
  check_tokens(tokens);
  if (tokens.empty()) throw EngineError("NT_E_BAD_REQUEST", "no tokens to evaluate");
  if (static_cast<int64_t>(tokens.size()) > n_ctx_) {
    throw EngineError("NT_E_BAD_REQUEST", std::to_string(tokens.size()) + " tokens do not fit the context of " +
                                              std::to_string(n_ctx_));
  }
  auto cache = new_cache();
  std::vector<float> all, logits;
  all.reserve(tokens.size() * static_cast<size_t>(n_vocab()));
  for (size_t start = 0; start < tokens.size(); start += static_cast<size_t>(std::max(1, n_batch))) {
    Batch batch;
    for (size_t i = start; i < std::min(tokens.size(), start + std::max(1, n_batch)); ++i) {
      batch.push_back({cache.get(), tokens[i], static_cast<int32_t>(i), true});
    }
    forward(batch, logits);
    all.insert(all.end(), logits.begin(), logits.end());
  }
  return all;
}

}  // namespace nt
