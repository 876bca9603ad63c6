// The calibration's CPU work (model/calibration_layers.h): which of the model's layers it copies
// (spread over the model, enough bytes to pass the caches), that its signature names them and
// their types, and that the CPU backend's forward runs over the copies at every batch it is asked.
#include "model/calibration_layers.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <algorithm>
#include <string>

#include "cpu/cpu_stream_device.h"
#include "gguf/ggml_type.h"

namespace nt {
namespace {

Hparams small_hparams(int32_t n_layer) {
  Hparams h;
  h.arch = "llama";
  h.n_embd = 256;
  h.n_layer = n_layer;
  h.n_head = 4;
  h.n_head_kv = 2;
  h.head_dim = 64;
  h.n_ff = 512;
  h.rope_dim = 64;
  return h;
}

TensorView shape(GgmlType type, int64_t cols, int64_t rows) {
  TensorView v;
  v.type = static_cast<uint32_t>(type);
  v.ne[0] = cols;
  v.ne[1] = rows;
  return v;
}

// A q4_k_m-like model's views (no data): every third layer's v and down in Q6_K.
ModelWeights shapes_of(const Hparams& h) {
  ModelWeights w;
  for (int32_t l = 0; l < h.n_layer; ++l) {
    const GgmlType more = l % 3 == 2 ? GgmlType::Q6_K : GgmlType::Q4_K;
    LayerWeights lw;
    lw.attn_norm = lw.ffn_norm = shape(GgmlType::F32, h.n_embd, 1);
    lw.wq = shape(GgmlType::Q4_K, h.n_embd, int64_t{h.n_head} * h.head_dim);
    lw.wk = shape(GgmlType::Q4_K, h.n_embd, h.n_embd_kv());
    lw.wv = shape(more, h.n_embd, h.n_embd_kv());
    lw.wo = shape(GgmlType::Q4_K, int64_t{h.n_head} * h.head_dim, h.n_embd);
    lw.w_gate = shape(GgmlType::Q4_K, h.n_embd, h.n_ff);
    lw.w_up = shape(GgmlType::Q4_K, h.n_embd, h.n_ff);
    lw.w_down = shape(more, h.n_ff, h.n_embd);
    w.layers.push_back(lw);
  }
  return w;
}

uint64_t bytes_of(const TensorView& v) { return static_cast<uint64_t>(v.rows()) * v.row_bytes(); }

// A small model's layers are copied until the least bytes (a pass over a few MB would be timed from
// cache, and end before one H2D copy of the together run: stories260K measured no copy rate).
TEST(CalibrationLayers, SmallLayersAreCopiedUpToTheLeastBytesAndRunAtEveryBatch) {
  const Hparams h = small_hparams(6);
  const ModelWeights shapes = shapes_of(h);
  CpuStreamDevice device;
  CalibrationLayers layers(device, h, shapes, GgmlType::F16, 2, CalibrationLayers::kMinBytes);
  uint64_t largest = 0;
  for (const LayerWeights& l : shapes.layers) {
    uint64_t bytes = 0;
    for (const TensorView* v : {&l.wq, &l.wk, &l.wv, &l.wo, &l.w_gate, &l.w_up, &l.w_down}) bytes += bytes_of(*v);
    largest = std::max(largest, bytes);
  }
  EXPECT_GE(layers.bytes(), CalibrationLayers::kMinBytes);
  EXPECT_LT(layers.bytes() - largest, CalibrationLayers::kMinBytes);  // the fewest copies
  const std::string s = CalibrationLayers::signature(h, shapes, GgmlType::F16, CalibrationLayers::kMinBytes);
  EXPECT_NE(s.find(" " + std::to_string(layers.layers()) + " copies of 0:"), std::string::npos) << s;
  EXPECT_NE(s.find(" 5:Q4_K,Q4_K,Q6_K,Q4_K,Q4_K,Q4_K,Q6_K"), std::string::npos) << s;  // every layer, once
  for (int32_t batch : {1, 3, CalibrationLayers::kMaxBatch}) {
    EXPECT_NO_THROW(layers.run(batch)) << batch;
  }
  const LayerWeights copy = layers.begin_layer(layers.layers());  // copies are layers 1..k of the segment
  EXPECT_EQ(copy.wv.type, static_cast<uint32_t>(GgmlType::Q6_K));  // the last copy is of layer 5
  EXPECT_NE(copy.wv.data, nullptr);
}

// A 70B-shape model: one layer is ~0.5 GB, past kMinBytes, so kMinLayers are copied, spread over
// the model (its Q6_K layers sampled as often as it has them); past a large cache's four times
// (2 GiB), five. Only the signature: nothing is allocated.
TEST(CalibrationLayers, LargeLayersCopyTheLeastSpreadOverTheModel) {
  Hparams h = small_hparams(80);
  h.n_embd = 8192;
  h.n_head = 64;
  h.n_head_kv = 8;
  h.head_dim = 128;
  h.n_ff = 28672;
  const std::string s = CalibrationLayers::signature(h, shapes_of(h), GgmlType::F32, CalibrationLayers::kMinBytes);
  EXPECT_EQ(s, "layers 8192x28672 heads 64/8 kv F32 20:Q4_K,Q4_K,Q6_K,Q4_K,Q4_K,Q4_K,Q6_K"
               " 60:Q4_K,Q4_K,Q4_K,Q4_K,Q4_K,Q4_K,Q4_K");
  const std::string large = CalibrationLayers::signature(h, shapes_of(h), GgmlType::F32, 2ull << 30);
  for (const char* layer : {" 8:", " 24:", " 40:", " 56:", " 72:"}) {
    EXPECT_NE(large.find(layer), std::string::npos) << large;
  }
  EXPECT_EQ(large.find(" 20:"), std::string::npos) << large;
}

// The least bytes are past four times the CPU's last-level cache, and never under kMinBytes.
TEST(CalibrationLayers, TheLeastBytesArePastFourTimesTheLastLevelCache) {
  const long l3 = sysconf(_SC_LEVEL3_CACHE_SIZE);
  EXPECT_GE(CalibrationLayers::min_bytes(), CalibrationLayers::kMinBytes);
  if (l3 > 0) EXPECT_GE(CalibrationLayers::min_bytes(), 4 * static_cast<uint64_t>(l3));
}

}  // namespace
}  // namespace nt
