#include "model/weights.h"

#include <cstdint>
#include <string>
#include <unordered_map>

#include "core/engine_error.h"

namespace nt {

namespace {

class TensorIndex {
 public:
  explicit TensorIndex(const GgufFile& file) {
    for (const auto& t : file.tensors) by_name_[t.name] = &t;
  }
  const GgufTensorInfo* find(const std::string& name) const {
    auto it = by_name_.find(name);
    return it == by_name_.end() ? nullptr : it->second;
  }

 private:
  std::unordered_map<std::string, const GgufTensorInfo*> by_name_;
};

std::string shape_text(const std::vector<int64_t>& shape) {
  std::string s = "[";
  for (size_t i = 0; i < shape.size(); ++i) s += (i ? ", " : "") + std::to_string(shape[i]);
  return s + "]";
}

// The tensor `name` after checking its shape (ne order); nullptr when an optional one is absent.
const GgufTensorInfo* checked(const TensorIndex& index, const std::string& name, const std::vector<int64_t>& shape,
                              bool required = true) {
  const GgufTensorInfo* t = index.find(name);
  if (!t) {
    if (!required) return nullptr;
    throw bad_gguf("tensor '" + name + "' is missing");
  }
  std::vector<int64_t> actual(t->ne.begin(), t->ne.begin() + t->n_dims);
  while (actual.size() < shape.size()) actual.push_back(1);
  if (actual != shape) {
    throw bad_gguf("tensor '" + name + "' has shape " + shape_text(actual) + ", expected " + shape_text(shape));
  }
  return t;
}

TensorView view_of(const GgufTensorInfo& t) {
  TensorView v;
  v.type = t.type;
  for (size_t d = 0; d < 4; ++d) v.ne[d] = static_cast<int64_t>(t.ne[d]);
  return v;
}

void require_f32(const TensorIndex& index, const std::string& name) {
  const GgufTensorInfo* t = index.find(name);
  if (t && t->type != static_cast<uint32_t>(GgmlType::F32)) {
    throw EngineError(NT_E_UNSUPPORTED, "tensor '" + name + "' has type " + ggml_type_name(t->type) +
                                            ", but norms, biases and rope factors must be F32");
  }
}

class Binder {
 public:
  Binder(const GgufFile& file, BoundWeights& out) : index_(file), out_(out) {}
  const TensorIndex& index() const { return index_; }

  void model(const std::string& name, TensorView ModelWeights::*view, const std::vector<int64_t>& shape,
             bool required = true) {
    if (const GgufTensorInfo* t = checked(index_, name, shape, required)) {
      out_.views.*view = view_of(*t);
      out_.tensors.push_back({name, t, -1, nullptr, view});
    }
  }
  void layer(int32_t layer, const std::string& suffix, TensorView LayerWeights::*view,
             const std::vector<int64_t>& shape) {
    const std::string name = "blk." + std::to_string(layer) + "." + suffix;
    const GgufTensorInfo* t = checked(index_, name, shape);
    out_.views.layers[layer].*view = view_of(*t);
    out_.tensors.push_back({name, t, layer, view, nullptr});
  }
  // A tied head reads the embedding's bytes every pass: listed apart from token_embd, which
  // stays in host memory for the row lookups.
  void tied_output() {
    out_.views.output = out_.views.tok_embd;
    out_.tensors.push_back({"output", index_.find("token_embd.weight"), -1, nullptr, &ModelWeights::output});
  }

 private:
  TensorIndex index_;
  BoundWeights& out_;
};

void bind_layer(Binder& b, const Hparams& h, int32_t layer) {
  const std::string p = "blk." + std::to_string(layer) + ".";
  const int64_t e = h.n_embd, q = int64_t{h.n_head} * h.head_dim, kv = h.n_embd_kv();
  for (const char* small : {"attn_norm.weight", "ffn_norm.weight", "attn_q.bias", "attn_k.bias", "attn_v.bias"}) {
    require_f32(b.index(), p + small);
  }
  b.layer(layer, "attn_norm.weight", &LayerWeights::attn_norm, {e});
  b.layer(layer, "attn_q.weight", &LayerWeights::wq, {e, q});
  b.layer(layer, "attn_k.weight", &LayerWeights::wk, {e, kv});
  b.layer(layer, "attn_v.weight", &LayerWeights::wv, {e, kv});
  b.layer(layer, "attn_output.weight", &LayerWeights::wo, {q, e});
  if (h.qkv_bias) {
    b.layer(layer, "attn_q.bias", &LayerWeights::bq, {q});
    b.layer(layer, "attn_k.bias", &LayerWeights::bk, {kv});
    b.layer(layer, "attn_v.bias", &LayerWeights::bv, {kv});
  }
  b.layer(layer, "ffn_norm.weight", &LayerWeights::ffn_norm, {e});
  b.layer(layer, "ffn_gate.weight", &LayerWeights::w_gate, {e, h.n_ff});
  b.layer(layer, "ffn_up.weight", &LayerWeights::w_up, {e, h.n_ff});
  b.layer(layer, "ffn_down.weight", &LayerWeights::w_down, {h.n_ff, e});
}

}  // namespace

BoundWeights bind_weights(const GgufFile& file, const Hparams& h) {
  BoundWeights out;
  Binder b(file, out);
  const GgufTensorInfo* embd = b.index().find("token_embd.weight");
  if (!embd) throw bad_gguf("tensor 'token_embd.weight' is missing");
  ModelWeights& w = out.views;
  w.n_vocab = static_cast<int32_t>(embd->ne[1]);
  b.model("token_embd.weight", &ModelWeights::tok_embd, {h.n_embd, w.n_vocab});
  require_f32(b.index(), "output_norm.weight");
  require_f32(b.index(), "rope_freqs.weight");
  b.model("rope_freqs.weight", &ModelWeights::rope_freqs, {h.rope_dim / 2}, false);
  b.model("output_norm.weight", &ModelWeights::output_norm, {h.n_embd});
  w.tied_output = b.index().find("output.weight") == nullptr;  // llama.cpp then reuses the embedding table
  if (w.tied_output) {
    b.tied_output();
  } else {
    b.model("output.weight", &ModelWeights::output, {h.n_embd, w.n_vocab});
  }
  // Every layer has tensors of its own, so a block_count past the file's tensor count is refused
  // before anything is reserved for it: a hostile count would otherwise allocate gigabytes here.
  if (static_cast<uint64_t>(h.n_layer) > file.tensors.size()) {
    throw bad_gguf("block_count " + std::to_string(h.n_layer) + " is more layers than the file has tensors (" +
                   std::to_string(file.tensors.size()) + ")");
  }
  w.layers.resize(h.n_layer);
  for (int32_t i = 0; i < h.n_layer; ++i) bind_layer(b, h, i);
  return out;
}

}  // namespace nt
