#include "model/calibration_layers.h"

#include <unistd.h>

#include <algorithm>
#include <cstring>

#include "core/engine_error.h"
#include "gguf/ggml_type.h"

namespace nt {

namespace {

using View = TensorView LayerWeights::*;
// The layer's matrices, in the forward's order; the norms and biases are F32 vectors.
constexpr View kMatrices[] = {&LayerWeights::wq,     &LayerWeights::wk,   &LayerWeights::wv,    &LayerWeights::wo,
                              &LayerWeights::w_gate, &LayerWeights::w_up, &LayerWeights::w_down};
constexpr View kBiases[] = {&LayerWeights::bq, &LayerWeights::bk, &LayerWeights::bv};

uint64_t view_bytes(const TensorView& v) { return static_cast<uint64_t>(v.rows()) * v.row_bytes(); }

uint64_t matrix_bytes(const LayerWeights& l) {
  uint64_t bytes = 0;
  for (View m : kMatrices) bytes += view_bytes(l.*m);
  return bytes;
}

// k layer indices spread evenly over n: the middle of each of k equal parts.
std::vector<int32_t> spread(int32_t k, int32_t n) {
  std::vector<int32_t> layers;
  for (int32_t i = 0; i < k; ++i) layers.push_back(static_cast<int32_t>((2 * int64_t{i} + 1) * n / (2 * k)));
  return layers;
}

// The layers copied: the fewest spread ones (at least kMinLayers) whose bytes reach least_bytes;
// past n copies, spread() repeats layers.
std::vector<int32_t> chosen_layers(const ModelWeights& shapes, uint64_t least_bytes) {
  const auto n = static_cast<int32_t>(shapes.layers.size());
  if (n == 0) throw EngineError(NT_E_INTERNAL, "the calibration needs a model with layers");
  for (int32_t k = CalibrationLayers::kMinLayers;; ++k) {
    std::vector<int32_t> layers = spread(k, n);
    uint64_t bytes = 0;
    for (int32_t l : layers) bytes += matrix_bytes(shapes.layers[static_cast<size_t>(l)]);
    if (bytes >= least_bytes || k == CalibrationLayers::kMaxCopies) return layers;
  }
}

}  // namespace

uint64_t CalibrationLayers::min_bytes() {
  const long l3 = sysconf(_SC_LEVEL3_CACHE_SIZE);  // glibc: from cpuid; 0 or -1 where unknown
  return std::max(kMinBytes, l3 > 0 ? 4 * static_cast<uint64_t>(l3) : 0);
}

std::string CalibrationLayers::signature(const Hparams& h, const ModelWeights& shapes, GgmlType kv_type,
                                         uint64_t least_bytes) {
  std::string text = "layers " + std::to_string(h.n_embd) + "x" + std::to_string(h.n_ff) + " heads " +
                     std::to_string(h.n_head) + "/" + std::to_string(h.n_head_kv) + " kv " +
                     ggml_type_name(static_cast<uint32_t>(kv_type));
  const std::vector<int32_t> chosen = chosen_layers(shapes, least_bytes);
  std::vector<int32_t> distinct = chosen;
  distinct.erase(std::unique(distinct.begin(), distinct.end()), distinct.end());  // spread() is sorted
  if (distinct.size() < chosen.size()) text += " " + std::to_string(chosen.size()) + " copies of";
  for (int32_t source : distinct) {
    text += " " + std::to_string(source) + ":";
    const LayerWeights& l = shapes.layers[static_cast<size_t>(source)];
    for (View m : kMatrices) text += (m == kMatrices[0] ? "" : ",") + ggml_type_name((l.*m).type);
  }
  return text;
}

CalibrationLayers::CalibrationLayers(StreamDevice& device, const Hparams& h, const ModelWeights& shapes,
                                     GgmlType kv_type, int threads, uint64_t least_bytes)
    : device_(device), h_(h) {
  const std::vector<int32_t> chosen = chosen_layers(shapes, least_bytes);
  // Norm weights and biases (F32 vectors of at most these sizes): ones.
  norm_.assign(static_cast<size_t>(std::max({h.n_embd, h.n_head * h.head_dim, h.n_embd_kv(), 1})), 1.0f);
  uint64_t total = 0;
  for (int32_t source : chosen) total += matrix_bytes(shapes.layers[static_cast<size_t>(source)]);
  // One allocation: a small model's hundreds of copies would otherwise pay a pinning call each.
  auto* block = static_cast<uint8_t*>(device.alloc_pinned(total));
  blocks_.push_back(block);
  std::memset(block, 0, total);  // faults every page in, as placing a tier-D layer does
  try {
    for (int32_t source : chosen) {
      LayerWeights l = shapes.layers[static_cast<size_t>(source)];
      const uint64_t bytes = matrix_bytes(l);
      for (View m : kMatrices) {
        (l.*m).data = block;
        block += view_bytes(l.*m);
      }
      for (View b : kBiases) {
        if (h.qkv_bias) (l.*b).data = reinterpret_cast<const uint8_t*>(norm_.data());
      }
      l.attn_norm.data = l.ffn_norm.data = reinterpret_cast<const uint8_t*>(norm_.data());
      copies_.push_back(l);
      bytes_ += bytes;
    }
    // Layer 0 would embed tokens and the last would prune rows for the head: the copies are 1..k.
    h_.n_layer = layers() + 2;
    cpu_ = std::make_unique<CpuBackend>(h_, threads);
    kv_pool_ = cpu_->new_kv_pool(static_cast<int32_t>(KvPool::blocks_for(kMaxBatch)), kv_type);
    cache_ = std::make_unique<KvCache>(kv_pool_, kMaxBatch);
    if (!cache_->reserve(kMaxBatch)) throw EngineError(NT_E_INTERNAL, "the calibration's KV cache has no room");
  } catch (...) {
    cache_.reset();
    for (void* b : blocks_) device.free_pinned(b);
    throw;
  }
  x_.assign(static_cast<size_t>(kMaxBatch) * h.n_embd, 0.5f);
}

CalibrationLayers::~CalibrationLayers() {
  cache_.reset();
  for (void* b : blocks_) device_.free_pinned(b);
}

LayerWeights CalibrationLayers::begin_layer(int layer) { return copies_.at(static_cast<size_t>(layer - 1)); }

void CalibrationLayers::run(int32_t batch) {
  batch = std::clamp(batch, int32_t{1}, kMaxBatch);
  Batch tokens;
  for (int32_t t = 0; t < batch; ++t) tokens.push_back({cache_.get(), 0, t, false});
  std::fill(x_.begin(), x_.end(), 0.5f);  // the segment writes its output over its input
  PassOutput out;
  cpu_->forward_segment(tokens, *this, PassSegment{1, layers() + 1, false, x_.data()}, 0, out);
}

}  // namespace nt
