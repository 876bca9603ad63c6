#include "model/read_hparams.h"

#include "core/engine_error.h"

namespace nt {

namespace {

const GgufValue* find_arch_key(const GgufFile& file, const std::string& arch, const char* key) {
  return file.find(arch + "." + key);
}

int32_t read_int(const GgufFile& file, const std::string& arch, const char* key, int64_t fallback) {
  const GgufValue* v = find_arch_key(file, arch, key);
  if (!v) {
    if (fallback >= 0) return static_cast<int32_t>(fallback);
    throw bad_gguf("missing metadata key " + arch + "." + key);
  }
  if (!v->is_integer()) throw bad_gguf(arch + "." + key + " is not an integer");
  const int64_t value = v->type == GgufType::I8 || v->type == GgufType::I16 || v->type == GgufType::I32 ||
                                v->type == GgufType::I64
                            ? v->as_i64()
                            : static_cast<int64_t>(v->as_u64());
  if (value <= 0 || value > (int64_t{1} << 30)) throw bad_gguf(arch + "." + key + " is out of range");
  return static_cast<int32_t>(value);
}

float read_float(const GgufFile& file, const std::string& arch, const char* key, float fallback) {
  const GgufValue* v = find_arch_key(file, arch, key);
  if (!v) return fallback;
  if (v->type != GgufType::F32 && v->type != GgufType::F64) throw bad_gguf(arch + "." + key + " is not a float");
  return static_cast<float>(v->as_f64());
}

void check_shape(const Hparams& h) {
  if (h.head_dim <= 0) throw bad_gguf("attention.head_count " + std::to_string(h.n_head) + " leaves no head size");
  if (h.n_head % h.n_head_kv != 0) {
    throw bad_gguf("attention.head_count " + std::to_string(h.n_head) + " is not a multiple of head_count_kv " +
                   std::to_string(h.n_head_kv));
  }
  if (h.rope_dim > h.head_dim || h.rope_dim % 2 != 0) throw bad_gguf("rope.dimension_count is not an even number ≤ the head size");
}

}  // namespace

Hparams read_hparams(const GgufFile& file) {
  const GgufValue* arch = file.find("general.architecture");
  if (!arch || !arch->is_string()) throw bad_gguf("missing general.architecture");
  Hparams h;
  h.arch = arch->as_string();
  if (h.arch != "llama" && h.arch != "qwen2") {
    throw EngineError(NT_E_UNSUPPORTED, "architecture '" + h.arch + "' is not supported (llama, qwen2)");
  }
  const std::string& a = h.arch;
  h.n_ctx_train = read_int(file, a, "context_length", -1);
  h.n_embd = read_int(file, a, "embedding_length", -1);
  h.n_layer = read_int(file, a, "block_count", -1);
  h.n_ff = read_int(file, a, "feed_forward_length", -1);
  h.n_head = read_int(file, a, "attention.head_count", -1);
  h.n_head_kv = read_int(file, a, "attention.head_count_kv", h.n_head);
  h.head_dim = read_int(file, a, "attention.key_length", h.n_embd / h.n_head);
  h.rope_dim = read_int(file, a, "rope.dimension_count", h.head_dim);
  h.rms_eps = read_float(file, a, "attention.layer_norm_rms_epsilon", 1e-5f);
  h.rope_theta = read_float(file, a, "rope.freq_base", 10000.0f);
  const GgufValue* scaling = find_arch_key(file, a, "rope.scaling.type");
  if (scaling && scaling->is_string() && scaling->as_string() == "linear") {
    h.rope_freq_scale = 1.0f / read_float(file, a, "rope.scaling.factor", 1.0f);
  } else if (scaling && scaling->is_string() && scaling->as_string() != "none") {
    throw EngineError(NT_E_UNSUPPORTED, "rope scaling '" + scaling->as_string() + "' is not supported (none, linear, llama3 via rope_freqs)");
  }
  h.rope_mode = a == "qwen2" ? RopeMode::HalfSplit : RopeMode::Adjacent;
  h.qkv_bias = a == "qwen2";
  check_shape(h);
  return h;
}

}  // namespace nt
