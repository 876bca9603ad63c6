// A loaded llama-family model: hyper-parameters, tokenizer, the weights where the tier plan put
// them (DESIGN §2), the streamer that feeds the streamed ones, and the compute backend (CPU or
// CUDA) that runs the forward pass. Forward passes are serialized by a mutex: the generation loop
// and one-off evaluations may both call in. A pass that fails (an I/O error in the streamer, a
// CUDA failure) leaves the model failed: every later pass throws the same error.
#pragma once

#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "backend/batch.h"
#include "backend/compute_backend.h"
#include "backend/hparams.h"
#include "backend/pass_output.h"
#include "backend/stream_device.h"
#include "backend/weight_source.h"
#include "core/engine_error.h"
#include "gguf/ggml_type.h"
#include "gguf/gguf_file.h"
#include "io/model_source.h"
#include "io/storage_reader.h"
#include "model/dual_pass.h"
#include "model/placed_weights.h"
#include "model/streamed_weights.h"
#include "stream/weight_streamer.h"
#include "tier/tier_plan.h"
#include "tokenizer/tokenizer.h"

namespace nt {

struct ModelOptions {
  int32_t n_ctx = 0;    // context size per sequence; 0: the training context, at most 4096
  int32_t threads = 0;  // CPU threads; 0: one per hardware thread
  std::string backend = "auto";  // "auto" (CUDA when a usable device exists, else CPU), "cpu", "cuda"
  int64_t vram_budget = -1;      // bytes for tier A, KV caches, activations and slots; -1: free
                                 // device memory (host memory on the CPU backend) minus a margin
  int64_t pinned_budget = -1;    // bytes of pinned host memory for tier B and staging; -1: available
                                 // host memory minus a margin
  int32_t n_sequences = 1;       // sequences served at once (the generation loop's max sequences)
  int32_t kv_size = 0;           // positions in the KV pool all sequences share (each still at most
                                 // n_ctx); 0: n_ctx × n_sequences, a full context for each
  std::string kv_type = "f16";   // the KV cache's storage: "f32", "f16" (llama.cpp's default too) or "q8_0" (backend/kv_type.h)
  int32_t n_batch = 512;         // tokens per pass the activations are budgeted for
  int32_t staging_slots = kMinStagingSlots;  // ring size of device slots and staging buffers (prefetch depth + 1)
  bool allow_buffered_io = false;  // tier C through the page cache where O_DIRECT is refused
  // The dual path (tier D): off, auto (when the calibrated cost model predicts a shorter pass for
  // one token per pass: the split is chosen for batch-1 decode, and each pass then takes the split
  // or pure streaming by its token count) or on (every pass takes the split). Auto and on
  // calibrate the CPU first (model/calibration.h); auto plans as off on the CPU backend, for a
  // model that streams nothing and under a forced dual_pattern. Off here; what users load through (ntd, the addon, nt-bench)
  // defaults to auto.
  DualPathMode dual_path = DualPathMode::Off;
  // A forced split, one 'G' or 'C' per layer (tests and benches): the pass runs as the dual path's
  // segments whatever the mode, every C layer in tier D.
  std::string dual_pattern;
  // Forced per-pass choice (tests, benches; DualPathInput::split_tokens): passes of at most this
  // many tokens take the split, larger ones stream every block. 0: by the cost model.
  int32_t dual_split_tokens = 0;
  // The calibration cache file (model/calibration.h); empty: measured once per process.
  std::string calibration_cache;
  bool recalibrate = false;  // measure again and replace the cached figures
};

class Model {
 public:
  // Throws EngineError naming what is wrong or unsupported (architecture, tensor, type, file,
  // backend, a budget too small for what must fit); NT_E_BAD_REQUEST for an image source whose fd,
  // offset (a multiple of 4096) or size is unusable. The source's fd is only borrowed.
  static std::unique_ptr<Model> load(const ModelSource& source, const ModelOptions& options,
                                     const LoadProgress& progress);
  static std::unique_ptr<Model> load(const std::string& path, const ModelOptions& options, const LoadProgress& progress);
  ~Model();

  const Hparams& hparams() const { return hparams_; }
  const ModelWeights& weights() const { return placed_->views(); }
  const Tokenizer& tokenizer() const { return *tokenizer_; }
  const GgufFile& gguf() const { return gguf_; }
  int32_t n_ctx() const { return n_ctx_; }
  int32_t n_vocab() const { return placed_->views().n_vocab; }
  int32_t threads() const { return threads_; }

  // The placement (DESIGN §2): backend, tiers per tensor, budgets, link speeds, the tok/s bound.
  const char* backend_name() const { return backend_->name(); }
  const TierPlan& plan() const { return plan_; }
  bool runs_segments() const { return dual_ != nullptr; }  // the dual path's runner: tier D or a forced split
  std::string plan_text() const;  // format_tier_plan(plan()) with the backend and I/O mode
  bool direct_io() const { return reader_ && reader_->direct(); }
  StreamStats stream_stats() const;  // per-stage timers and passes per layout, cumulative since load

  // The error that failed the model (a pass that threw: I/O, CUDA, memory), or nullptr.
  std::shared_ptr<const EngineError> failure() const;

  // A sequence's cache of up to n_ctx positions, taking blocks from the model's pool as it grows
  // (KvCache::reserve) and returning them when destroyed.
  std::unique_ptr<KvCache> new_cache() const;
  const KvPool& kv_pool() const { return *kv_pool_; }

  // Throws NT_E_BAD_REQUEST for an id outside the vocabulary.
  void check_tokens(const std::vector<TokenId>& tokens) const;

  // One pass (several when the batch exceeds the load's n_batch). Reserves each token's KV block
  // first: NT_E_OUT_OF_MEMORY when the pool has none left. For the tokens that want logits,
  // in batch order: with candidates == 0 all n_vocab logits of each in out.logits; with
  // 0 < candidates <= kMaxTopCandidates each row's top min(candidates, n_vocab) candidates and
  // log-sum-exp in out.rows (out.candidates says how many), computed by the backend where the
  // logits are. Throws NT_E_INTERNAL for candidates outside [0, kMaxTopCandidates].
  void forward(const Batch& batch, int32_t candidates, PassOutput& out);
  // The same with all logits: n_vocab floats per token that wants them, in batch order.
  void forward(const Batch& batch, std::vector<float>& logits);

  // forward, with each op's time added to `into` (backend/op_profile.h): on CUDA without the
  // decode graph, an event pair around each kernel or group; the pass's host wall time too. For
  // nt-bench --profile: slower than forward by the events and the launches a graph would save.
  void profile(const Batch& batch, int32_t candidates, PassOutput& out, OpProfile& into);

  // The logits after each of `tokens`, fed from position 0 through a fresh cache in batches of
  // n_batch: n × n_vocab floats. What the oracle tests compare with llama.cpp.
  std::vector<float> evaluate(const std::vector<TokenId>& tokens, int32_t n_batch);

 private:
  Model() = default;
  BoundWeights read_header(const ModelSource& source, const ModelOptions& options);
  void plan_placement(const ModelSource& source, const ModelOptions& options, const BoundWeights& bound);
  void start_streaming(const ModelOptions& options);
  void forward_batches(const Batch& batch, int32_t candidates, PassOutput& out, OpProfile* profile);
  void forward_pass(const Batch& batch, int32_t candidates, PassOutput& out, OpProfile* profile);
  void run_pass(const Batch& batch, int32_t candidates, PassOutput& out, bool split);
  void set_profile(OpProfile* profile);
  void reserve_blocks(const Batch& batch) const;
  void start_dual_path(const ModelOptions& options);
  void set_failure(std::shared_ptr<const EngineError> failure);

  GgufFile gguf_;
  Hparams hparams_;
  std::unique_ptr<Tokenizer> tokenizer_;
  int32_t n_ctx_ = 0;
  int32_t threads_ = 0;
  int32_t dual_threads_ = 0;  // the dual path's CPU layers (threads_, less one beside a GPU)
  std::string fallback_reason_;
  TierPlan plan_;
  // Declared in the order they depend on each other, so they are destroyed in reverse.
  std::unique_ptr<StreamDevice> device_;
  std::unique_ptr<StorageReader> reader_;
  std::unique_ptr<PlacedWeights> placed_;
  std::unique_ptr<WeightStreamer> streamer_;
  std::unique_ptr<StreamedWeights> source_;
  std::unique_ptr<ComputeBackend> backend_;
  std::shared_ptr<KvPool> kv_pool_;       // in the backend's memory; caches share it
  int32_t kv_blocks_ = 0;
  std::unique_ptr<DualPass> dual_;        // when the plan has tier D or a split was forced
  GgmlType kv_type_ = GgmlType::F32;      // both pools' (the device's and the dual path's host pool)
  int32_t max_batch_ = 0;                 // tokens one pass carries at most (scratch is sized for it)
  std::mutex forward_mutex_;
  mutable std::mutex stats_mutex_;             // guards failure_ and resident_stats_
  std::shared_ptr<const EngineError> failure_;  // set by the first pass that failed
  StreamStats resident_stats_;            // passes and their time when nothing streams
  uint64_t split_passes_ = 0;             // passes that took the dual split (the rest streamed every block)
};

}  // namespace nt
