// The dual path's CPU work for the calibration (model/calibration.h): the CPU backend's own layer
// forward (cpu/llama_forward.h: the grouped products, norms, rope, attention and the keys and
// values into a cache) over copies of some of the model's layers, with their types and shapes,
// in pinned memory as tier D holds them. The weights are zero: the kernels' speed does not
// depend on the values. A product over one synthetic matrix of the dominant type missed what a
// pass pays (measured on the H100 machine: 50.8 GB/s calibrated, ~39 in the pass): the model's
// other types (a q4_k_m's Q6_K), its row widths, and the per-op work between the products.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "backend/stream_device.h"
#include "backend/weight_source.h"
#include "cpu/cpu_backend.h"
#include "model/weights.h"

namespace nt {

class CalibrationLayers : public WeightSource {
 public:
  // Copies of layers spread evenly over the model (so that a mix of types is sampled as the
  // model has it): the fewest, at least kMinLayers, whose weights reach min_bytes (past the CPU's
  // cache, and long enough to overlap several of the calibration's H2D copies); a small model's
  // layers are copied more than once. Throws what the device's pinned allocation throws
  // (NT_E_OUT_OF_MEMORY).
  static constexpr int kMinLayers = 2;
  static constexpr int kMaxCopies = 4096;  // a model of small layers stops short of min_bytes
  static constexpr uint64_t kMinBytes = 256ull << 20;
  // kMinBytes, or four times the CPU's last-level cache where that is more: with 256 MiB (two 70B
  // layers) a 300 MiB L3 kept part of them, and the CPU measured ~40 GB/s together with the copies
  // where the real pass, reading 7 GiB of tier D, let it read ~31.
  static uint64_t min_bytes();
  // The keys and values go into a cache of kv_type, as the pass's do.
  CalibrationLayers(StreamDevice& device, const Hparams& h, const ModelWeights& shapes, GgmlType kv_type,
                    int threads, uint64_t least_bytes = min_bytes());
  ~CalibrationLayers() override;
  CalibrationLayers(const CalibrationLayers&) = delete;
  CalibrationLayers& operator=(const CalibrationLayers&) = delete;

  uint64_t bytes() const { return bytes_; }  // the weight bytes one run reads
  int32_t layers() const { return static_cast<int32_t>(copies_.size()); }
  // The work measured, for the cache key (known before anything is allocated): the shape, the
  // KV type, then each copied layer's index and its matrices' types.
  static std::string signature(const Hparams& h, const ModelWeights& shapes, GgmlType kv_type,
                               uint64_t least_bytes = min_bytes());
  // One pass of `batch` tokens (positions 0..batch-1 of one sequence) through every copy.
  void run(int32_t batch);

  const TensorView& tok_embd() const override { return none_; }
  const TensorView& rope_freqs() const override { return none_; }
  LayerWeights begin_layer(int layer) override;
  void end_layer(int) override {}
  OutputWeights begin_output() override { return {}; }
  void end_output() override {}
  bool resident() const override { return true; }

  static constexpr int32_t kMaxBatch = 8;

 private:
  StreamDevice& device_;
  Hparams h_;  // the model's, with room for the copies and no last layer among them
  std::vector<LayerWeights> copies_;
  std::vector<void*> blocks_;  // pinned, one per copy
  std::vector<float> norm_;    // the norms' weights, ones
  uint64_t bytes_ = 0;
  TensorView none_;
  std::unique_ptr<CpuBackend> cpu_;
  std::shared_ptr<KvPool> kv_pool_;
  std::unique_ptr<KvCache> cache_;
  std::vector<float> x_;
};

}  // namespace nt
