#include "model/weights.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <unordered_map>

#include "engine_error.h"

namespace nt {

namespace {

constexpr uint64_t kReadChunk = 64ull << 20;  // progress granularity and pread size
constexpr size_t kStorageAlignment = 64;       // a cache line, and what AVX loads like

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

// A view of the tensor `name` after checking its shape (ne order). With base == nullptr (the
// checking pass, before any weight is read) the view has no data yet.
TensorView view_of(const TensorIndex& index, const uint8_t* base, const std::string& name,
                   const std::vector<int64_t>& shape, bool required = true) {
  const GgufTensorInfo* t = index.find(name);
  if (!t) {
    if (!required) return {};
    throw bad_gguf("tensor '" + name + "' is missing");
  }
  std::vector<int64_t> actual(t->ne.begin(), t->ne.begin() + t->n_dims);
  while (actual.size() < shape.size()) actual.push_back(1);
  if (actual != shape) {
    throw bad_gguf("tensor '" + name + "' has shape " + shape_text(actual) + ", expected " + shape_text(shape));
  }
  TensorView v;
  v.data = base ? base + t->offset : nullptr;
  v.type = t->type;
  for (size_t d = 0; d < 4; ++d) v.ne[d] = static_cast<int64_t>(t->ne[d]);
  return v;
}

void require_f32(const TensorIndex& index, const std::string& name) {
  const GgufTensorInfo* t = index.find(name);
  if (t && t->type != static_cast<uint32_t>(GgmlType::F32)) {
    throw EngineError("NT_E_UNSUPPORTED", "tensor '" + name + "' has type " + ggml_type_name(t->type) +
                                              ", but norms, biases and rope factors must be F32");
  }
}

LayerWeights layer_views(const TensorIndex& index, const uint8_t* base, const Hparams& h, int layer) {
  const std::string p = "blk." + std::to_string(layer) + ".";
  const int64_t e = h.n_embd, q = int64_t{h.n_head} * h.head_dim, kv = h.n_embd_kv();
  for (const char* small : {"attn_norm.weight", "ffn_norm.weight", "attn_q.bias", "attn_k.bias", "attn_v.bias"}) {
    require_f32(index, p + small);
  }
  LayerWeights l;
  l.attn_norm = view_of(index, base, p + "attn_norm.weight", {e});
  l.wq = view_of(index, base, p + "attn_q.weight", {e, q});
  l.wk = view_of(index, base, p + "attn_k.weight", {e, kv});
  l.wv = view_of(index, base, p + "attn_v.weight", {e, kv});
  l.wo = view_of(index, base, p + "attn_output.weight", {q, e});
  if (h.qkv_bias) {
    l.bq = view_of(index, base, p + "attn_q.bias", {q});
    l.bk = view_of(index, base, p + "attn_k.bias", {kv});
    l.bv = view_of(index, base, p + "attn_v.bias", {kv});
  }
  l.ffn_norm = view_of(index, base, p + "ffn_norm.weight", {e});
  l.w_gate = view_of(index, base, p + "ffn_gate.weight", {e, h.n_ff});
  l.w_up = view_of(index, base, p + "ffn_up.weight", {e, h.n_ff});
  l.w_down = view_of(index, base, p + "ffn_down.weight", {h.n_ff, e});
  return l;
}

// Every view of the model; called once to check (base == nullptr) and once to bind.
ModelWeights model_views(const TensorIndex& index, const uint8_t* base, const Hparams& h) {
  const GgufTensorInfo* embd = index.find("token_embd.weight");
  if (!embd) throw bad_gguf("tensor 'token_embd.weight' is missing");
  ModelWeights w;
  w.n_vocab = static_cast<int32_t>(embd->ne[1]);
  w.tok_embd = view_of(index, base, "token_embd.weight", {h.n_embd, w.n_vocab});
  require_f32(index, "output_norm.weight");
  w.output_norm = view_of(index, base, "output_norm.weight", {h.n_embd});
  w.tied_output = index.find("output.weight") == nullptr;  // llama.cpp then reuses the embedding table
  w.output = w.tied_output ? w.tok_embd : view_of(index, base, "output.weight", {h.n_embd, w.n_vocab});
  require_f32(index, "rope_freqs.weight");
  w.rope_freqs = view_of(index, base, "rope_freqs.weight", {h.rope_dim / 2}, false);
  for (int i = 0; i < h.n_layer; ++i) w.layers.push_back(layer_views(index, base, h, i));
  return w;
}

std::shared_ptr<uint8_t> allocate_storage(uint64_t bytes) {
  void* p = nullptr;
  if (posix_memalign(&p, kStorageAlignment, bytes ? bytes : 1) != 0) {
    throw EngineError("NT_E_OUT_OF_MEMORY", "cannot allocate " + std::to_string(bytes) + " bytes for the weights");
  }
  return std::shared_ptr<uint8_t>(static_cast<uint8_t*>(p), [](uint8_t* q) { std::free(q); });
}

void read_data_section(const std::string& path, uint64_t offset, uint8_t* dst, uint64_t bytes,
                       const LoadProgress& progress) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) throw EngineError(errno == ENOENT ? "NT_E_NOT_FOUND" : "NT_E_IO", "cannot open " + path + ": " + std::strerror(errno));
  uint64_t done = 0;
  while (done < bytes) {
    const uint64_t want = std::min(kReadChunk, bytes - done);
    const ssize_t got = ::pread(fd, dst + done, want, static_cast<off_t>(offset + done));
    if (got <= 0) {
      const int err = got < 0 ? errno : EIO;
      ::close(fd);
      throw EngineError("NT_E_IO", "reading the weights of " + path + " failed at byte " +
                                       std::to_string(offset + done) + ": " + std::strerror(err));
    }
    done += static_cast<uint64_t>(got);
    if (progress) progress(done, bytes);
  }
  ::close(fd);
}

}  // namespace

ModelWeights load_weights(const std::string& path, const GgufFile& file, const Hparams& h,
                          const LoadProgress& progress) {
  const TensorIndex index(file);
  model_views(index, nullptr, h);  // refuse a malformed model before reading gigabytes
  const uint64_t bytes = file.file_bytes - file.data_offset;
  std::shared_ptr<uint8_t> storage = allocate_storage(bytes);
  read_data_section(path, file.data_offset, storage.get(), bytes, progress);
  ModelWeights w = model_views(index, storage.get(), h);
  w.storage = std::move(storage);
  w.storage_bytes = bytes;
  return w;
}

}  // namespace nt
