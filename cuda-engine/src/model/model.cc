#include "model/model.h"

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <iterator>
#include <thread>

#include "backend/compute_target.h"
#include "backend/device_report.h"
#include "backend/kv_type.h"
#include "gguf/ggml_type.h"
#include "io/open_storage_reader.h"
#include "model/calibration.h"
#include "model/calibration_layers.h"
#include "model/measured_links.h"
#include "model/plan_input.h"
#include "model/read_hparams.h"
#include "model/streamed_weights.h"
#include "tier/dual_split.h"

namespace nt {

namespace {

constexpr int32_t kDefaultMaxContext = 4096;
constexpr uint64_t kGiB = 1ull << 30;

uint64_t minus(uint64_t a, uint64_t b) { return a > b ? a - b : 0; }

void check_options(const ModelOptions& o) {
  if (o.n_ctx < 0) throw EngineError(NT_E_BAD_REQUEST, "context size must be positive");
  if (o.n_sequences < 1) throw EngineError(NT_E_BAD_REQUEST, "the number of sequences must be at least 1");
  if (o.kv_size < 0) throw EngineError(NT_E_BAD_REQUEST, "the KV cache size must be positive (or 0 for the default)");
  if (o.n_batch < 1) throw EngineError(NT_E_BAD_REQUEST, "the batch size must be at least 1");
  // staging_slots is checked by the planner (kMinStagingSlots), before the streamer is made.
}

uint64_t host_only_bytes(const BoundWeights& bound) {
  uint64_t bytes = 0;
  for (const BoundTensor& t : bound.tensors) {
    if (is_host_only(t)) bytes += t.info->bytes;
  }
  return bytes;
}

// Positions the KV pool is asked to hold: kvSize, else a full context for each sequence served.
int64_t kv_positions(const ModelOptions& o, int32_t n_ctx) {
  return o.kv_size > 0 ? o.kv_size : int64_t{n_ctx} * o.n_sequences;
}

// Defaults when the user gives no budget. CUDA: free VRAM minus 1 GiB or 5 % (the context, cuda
// libraries' workspaces and fragmentation), and 80 % of available host memory for pinned RAM
// (pinned pages cannot be swapped: leave the system room). CPU: both tiers are host memory, so
// the "device" region gets what the pinned share (host-only tensors + 1/8) and 1 GiB leave.
PlanBudgets resolve_budgets(const ModelOptions& o, const ComputeTarget& t, bool cpu, uint64_t host_only) {
  PlanBudgets b;
  const uint64_t host = t.host_available_bytes;
  const uint64_t pinned_default = cpu ? host_only + host / 8 : host / 5 * 4;
  const uint64_t vram_default = cpu ? minus(host, kGiB + pinned_default)
                                    : minus(t.device_free_bytes, std::max(kGiB, t.device_free_bytes / 20));
  b.vram = o.vram_budget >= 0 ? static_cast<uint64_t>(o.vram_budget) : vram_default;
  b.pinned = o.pinned_budget >= 0 ? static_cast<uint64_t>(o.pinned_budget) : pinned_default;
  b.n_batch = o.n_batch;
  b.staging_slots = o.staging_slots;
  return b;
}

void check_source(const ModelSource& s) {
  if (s.kind == SourceKind::File) return;
  const std::string what = (s.is_vfio() ? "the data-plane session of " : "the image ") + s.label;
  if (s.fd < 0) throw EngineError(NT_E_BAD_REQUEST, what + " has no file descriptor (fd " + std::to_string(s.fd) + ")");
  if (s.is_image() && s.offset % kImageAlignment != 0) {
    throw EngineError(NT_E_BAD_REQUEST, what + ": offset " + std::to_string(s.offset) + " is not a multiple of " +
                                            std::to_string(kImageAlignment));
  }
  if (s.size == 0) throw EngineError(NT_E_BAD_REQUEST, what + ": size is 0");
}

// The header, from the file, the image's bytes, or the data-plane session (`session`, vfio only).
GgufFile read_source_gguf(const ModelSource& s, StorageReader* session) {
  if (s.is_vfio()) return read_gguf_image(*session, s.size, s.label);
  return s.is_image() ? read_gguf_image(s.fd, s.offset, s.size, s.label) : read_gguf_file(s.path);
}

// "cpu", or "cuda" and the name of the device "auto" takes (the first usable one).
std::string device_label(const StreamDevice& device) {
  std::string label = device.name();
  if (label != "cuda") return label;
  for (const DeviceInfo& d : query_devices().devices) {
    if (d.backend == "cuda") return label + " " + d.name;
  }
  return label;
}

// Auto (what users get by default) calibrates only where a split can pay, so that loads elsewhere
// do not spend its seconds: beside a GPU (on the CPU backend both sides are the same cores), when
// some block would stream without it (a resident model has nothing to split), and not under a
// forced split (taken every pass, uncalibrated, as with off).
DualPathMode dual_mode_for(DualPathMode asked, const TierPlanInput& input, bool cpu) {
  if (asked != DualPathMode::Auto) return asked;
  if (cpu || !input.dual.pattern.empty()) return DualPathMode::Off;
  TierPlanInput plain = input;
  plain.dual.mode = DualPathMode::Off;
  return plan_tiers(plain).streamed_bytes > 0 ? DualPathMode::Auto : DualPathMode::Off;
}

CpuRates dual_rates(StreamDevice& device, DualPathMode mode, const ModelOptions& o, const Hparams& h,
                    const BoundWeights& bound, GgmlType kv_type, int32_t threads) {
  if (mode == DualPathMode::Off) return {};
  const CalibrationKey key{cpu_model_name(), threads, device_label(device),
                           CalibrationLayers::signature(h, bound.views, kv_type)};
  return calibrate_dual(device, key, h, bound.views, kv_type, o.calibration_cache, o.recalibrate);
}

int32_t resolve_threads(int32_t threads) {
  if (threads > 0) return threads;
  return static_cast<int32_t>(std::max(1u, std::thread::hardware_concurrency()));
}

}  // namespace

Model::~Model() = default;

void Model::check_tokens(const std::vector<TokenId>& tokens) const {
  for (TokenId t : tokens) {
    if (t < 0 || t >= n_vocab()) {
      throw EngineError(NT_E_BAD_REQUEST, "token id " + std::to_string(t) + " is outside the vocabulary (0.." +
                                              std::to_string(n_vocab() - 1) + ")");
    }
  }
}

std::unique_ptr<Model> Model::load(const std::string& path, const ModelOptions& options, const LoadProgress& progress) {
  return load(ModelSource::file(path), options, progress);
}

std::unique_ptr<Model> Model::load(const ModelSource& source, const ModelOptions& options, const LoadProgress& progress) {
  check_options(options);
  check_source(source);
  std::unique_ptr<Model> m(new Model());
  // A data-plane session is one reader for the whole load: the header and the resident tiers are
  // read through it too, since the image has no block device while the helper drives it.
  if (source.is_vfio()) m->reader_ = open_storage_reader(source, DirectReaderOptions{});
  BoundWeights bound = m->read_header(source, options);
  m->plan_placement(source, options, bound);
  m->placed_ = place_weights(source, m->reader_.get(), m->gguf_, std::move(bound), m->plan_, *m->device_, progress);
  if (m->plan_.totals.c == 0) m->reader_.reset();  // nothing streams from storage: no I/O threads, no session
  m->start_streaming(options);
  m->backend_ = make_compute_backend(*m->device_, m->hparams_, m->n_vocab(), m->threads_, options.n_batch);
  m->kv_pool_ = m->backend_->new_kv_pool(m->kv_blocks_, m->kv_type_);
  m->start_dual_path(options);
  return m;
}

// The file's metadata, tokenizer and tensor table, checked before any weight is read.
BoundWeights Model::read_header(const ModelSource& source, const ModelOptions& options) {
  gguf_ = read_source_gguf(source, reader_.get());
  hparams_ = read_hparams(gguf_);
  kv_type_ = parse_kv_type(options.kv_type);
  check_kv_type(kv_type_, hparams_.head_dim);
  tokenizer_ = Tokenizer::from_gguf(gguf_);
  n_ctx_ = options.n_ctx > 0 ? options.n_ctx : std::min(hparams_.n_ctx_train, kDefaultMaxContext);
  threads_ = resolve_threads(options.threads);
  max_batch_ = options.n_batch;
  const int64_t kv_size = kv_positions(options, n_ctx_);
  const int64_t kv_blocks = KvPool::blocks_for(kv_size);
  if (kv_blocks > INT32_MAX) {
    throw EngineError(NT_E_BAD_REQUEST, "a KV cache of " + std::to_string(kv_size) + " positions is too large");
  }
  kv_blocks_ = static_cast<int32_t>(kv_blocks);
  BoundWeights bound = bind_weights(gguf_, hparams_);
  if (tokenizer_->n_vocab() > bound.views.n_vocab) {
    throw bad_gguf("the tokenizer has " + std::to_string(tokenizer_->n_vocab()) + " tokens but the embedding only " +
                   std::to_string(bound.views.n_vocab));
  }
  return bound;
}

// Opens the device, measures the links (storage with the model's own bytes) and plans the tiers.
void Model::plan_placement(const ModelSource& source, const ModelOptions& options, const BoundWeights& bound) {
  ComputeTarget target = open_compute_target(options.backend);
  fallback_reason_ = target.fallback_reason;
  device_ = std::move(target.device);
  DirectReaderOptions reader_options;
  reader_options.allow_buffered = true;  // measured either way; refused below if tier C would need it
  if (!reader_) reader_ = open_storage_reader(source, reader_options);
  const uint64_t data_bytes = gguf_.file_bytes - gguf_.data_offset;
  const LinkSpeeds links = measured_links(*device_, *reader_, source, gguf_.data_offset, data_bytes);
  const bool cpu = std::string(device_->name()) == "cpu";
  PlanBudgets budgets = resolve_budgets(options, target, cpu, host_only_bytes(bound));
  budgets.n_ctx = n_ctx_;
  budgets.kv_blocks = kv_blocks_;
  budgets.kv_positions = kv_positions(options, n_ctx_);
  budgets.n_sequences = options.n_sequences;
  budgets.kv_type = kv_type_;
  TierPlanInput input = plan_input(bound, hparams_, budgets, links);
  input.dual.pattern = options.dual_pattern;
  input.dual.mode = dual_mode_for(options.dual_path, input, cpu);
  input.dual.split_tokens = options.dual_split_tokens;
  // The split is chosen for batch-1 decode, the pass it exists for; larger passes (prefills, many
  // sequences) choose per pass between it and streaming every block (Model::forward_pass).
  input.dual.batch = 1;
  // Beside a GPU, the CPU's layers leave one hardware thread to the streamer's copy and I/O
  // threads: a copy issued late idles the link for as long. Calibrated with the same count.
  dual_threads_ = std::string(device_->name()) == "cpu" ? threads_ : std::max(1, threads_ - 1);
  input.dual.rates = dual_rates(*device_, input.dual.mode, options, hparams_, bound, kv_type_, dual_threads_);
  plan_ = plan_tiers(input);
  if (plan_.totals.c > 0 && !reader_->direct() && !options.allow_buffered_io) {
    throw EngineError(NT_E_IO, "the filesystem of " + source.name() + " refuses O_DIRECT, which tier C needs (" +
                                   std::to_string(plan_.totals.c) +
                                   " bytes read every pass); allow buffered reads or raise the budgets");
  }
}

// The streamer, when anything streams, and the forward pass's view of the weights.
void Model::start_streaming(const ModelOptions& options) {
  if (!placed_->groups().empty()) {
    StreamerOptions streamer_options;
    streamer_options.slots = options.staging_slots;
    streamer_ = std::make_unique<WeightStreamer>(*device_, reader_.get(), placed_->groups(), streamer_options);
  }
  source_ = std::make_unique<StreamedWeights>(*placed_, streamer_.get());
}

// The dual path's runner, when the plan computes blocks on the CPU or a split was forced.
void Model::start_dual_path(const ModelOptions& options) {
  if (!plan_.has_cpu_layers() && options.dual_pattern.empty()) return;
  dual_ = std::make_unique<DualPass>(hparams_, plan_.layer_pattern, *backend_, *device_, dual_threads_, kv_blocks_,
                                     kv_type_);
}

std::string Model::plan_text() const {
  std::string head = std::string("backend ") + backend_->name();
  if (!fallback_reason_.empty()) head += " (CUDA unavailable: " + fallback_reason_ + ")";
  if (plan_.totals.c > 0) head += direct_io() ? "; tier C read with O_DIRECT" : "; tier C read through the page cache";
  return head + "\n" + format_tier_plan(plan_);
}

void Model::set_failure(std::shared_ptr<const EngineError> failure) {
  std::lock_guard<std::mutex> lock(stats_mutex_);
  failure_ = std::move(failure);
}

std::shared_ptr<const EngineError> Model::failure() const {
  std::lock_guard<std::mutex> lock(stats_mutex_);
  return failure_;
}

StreamStats Model::stream_stats() const {
  StreamStats stats = streamer_ ? streamer_->stats() : StreamStats{};
  std::lock_guard<std::mutex> lock(stats_mutex_);
  if (!streamer_) stats = resident_stats_;
  stats.split_passes = split_passes_;
  return stats;
}

std::unique_ptr<KvCache> Model::new_cache() const {
  auto cache = std::make_unique<KvCache>(kv_pool_, n_ctx_);
  if (dual_) dual_->attach_cpu_part(*cache, n_ctx_);
  return cache;
}

void Model::reserve_blocks(const Batch& batch) const {
  for (const BatchToken& b : batch) {
    if (!b.cache || &b.cache->pool() != kv_pool_.get() || b.pos < 0 || b.pos >= b.cache->n_ctx()) {
      throw EngineError(NT_E_INTERNAL, "token position " + std::to_string(b.pos) + " is outside its KV cache");
    }
    // The dual path's host part has a pool of as many blocks, so it fills exactly when the device's does.
    if (!b.cache->reserve(b.pos + 1) || (b.cache->cpu_part() && !b.cache->cpu_part()->reserve(b.pos + 1))) {
      throw EngineError(NT_E_OUT_OF_MEMORY, "the KV cache pool is full (" + std::to_string(kv_pool_->n_blocks()) +
                                                " blocks of " + std::to_string(KvPool::kBlockPositions) +
                                                " positions, shared by every sequence)");
    }
  }
}

void Model::forward(const Batch& batch, int32_t candidates, PassOutput& out) {
  forward_batches(batch, candidates, out, nullptr);
}

void Model::profile(const Batch& batch, int32_t candidates, PassOutput& out, OpProfile& into) {
  forward_batches(batch, candidates, out, &into);
}

void Model::forward_batches(const Batch& batch, int32_t candidates, PassOutput& out, OpProfile* profile) {
  if (candidates < 0 || candidates > kMaxTopCandidates) {
    throw EngineError(NT_E_INTERNAL, "a pass may return 0 to " + std::to_string(kMaxTopCandidates) +
                                         " candidates per row, not " + std::to_string(candidates));
  }
  candidates = std::min(candidates, n_vocab());
  reserve_blocks(batch);  // a full pool fails this pass, not the model
  std::lock_guard<std::mutex> lock(forward_mutex_);
  if (const auto failed = failure()) throw *failed;
  if (batch.size() <= static_cast<size_t>(max_batch_)) return forward_pass(batch, candidates, out, profile);
  PassOutput part;
  out.candidates = candidates;
  out.logits.clear();
  out.rows.clear();
  for (size_t start = 0; start < batch.size(); start += static_cast<size_t>(max_batch_)) {
    const size_t end = std::min(batch.size(), start + static_cast<size_t>(max_batch_));
    forward_pass(Batch(batch.begin() + static_cast<std::ptrdiff_t>(start), batch.begin() + static_cast<std::ptrdiff_t>(end)),
                 candidates, part, profile);
    out.logits.insert(out.logits.end(), part.logits.begin(), part.logits.end());
    std::move(part.rows.begin(), part.rows.end(), std::back_inserter(out.rows));
  }
}

void Model::forward(const Batch& batch, std::vector<float>& logits) {
  PassOutput out;
  out.logits.swap(logits);  // reuses the caller's capacity
  forward(batch, 0, out);
  logits.swap(out.logits);
}

void Model::set_profile(OpProfile* profile) {
  backend_->set_profile(profile);
  if (dual_) dual_->set_profile(profile);
}

void Model::run_pass(const Batch& batch, int32_t candidates, PassOutput& out, bool split) {
  source_->begin_pass(split);
  if (dual_) {
    dual_->forward(batch, *source_, candidates, out, split);
  } else {
    backend_->forward(batch, *source_, candidates, out);
  }
}

void Model::forward_pass(const Batch& batch, int32_t candidates, PassOutput& out, OpProfile* profile) {
  const auto start = std::chrono::steady_clock::now();
  // The layout this pass takes by its token count (tier/dual_split.h): a prompt streams every
  // block to the device, a decode of few sequences takes the split.
  const bool split = dual_ && choose_pass(plan_, static_cast<int32_t>(batch.size())).dual;
  try {
    if (!profile) {
      run_pass(batch, candidates, out, split);
    } else {
      // Only this pass is profiled: the backends forget the profile whatever happens.
      set_profile(profile);
      try {
        run_pass(batch, candidates, out, split);
      } catch (...) {
        set_profile(nullptr);
        throw;
      }
      set_profile(nullptr);
    }
  } catch (const EngineError& e) {
    // A pass abandoned midway leaves the streamer's cycle where it stopped: nothing after is sound.
    set_failure(std::make_shared<const EngineError>(e.error_code(), std::string("the model failed: ") + e.what()));
    throw;
  } catch (const std::exception& e) {
    set_failure(std::make_shared<const EngineError>(NT_E_INTERNAL, std::string("the model failed: ") + e.what()));
    throw EngineError(NT_E_INTERNAL, e.what());
  }
  const double ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count();
  if (profile) profile->add_pass(ms);
  if (streamer_) streamer_->end_pass(ms);
  std::lock_guard<std::mutex> stats_lock(stats_mutex_);
  split_passes_ += split ? 1 : 0;
  if (!streamer_) {
    resident_stats_.passes += 1;
    resident_stats_.compute_ms += ms;
  }
}

std::vector<float> Model::evaluate(const std::vector<TokenId>& tokens, int32_t n_batch) {
  check_tokens(tokens);
  if (tokens.empty()) throw EngineError(NT_E_BAD_REQUEST, "no tokens to evaluate");
  if (static_cast<int64_t>(tokens.size()) > n_ctx_) {
    throw EngineError(NT_E_BAD_REQUEST, std::to_string(tokens.size()) + " tokens do not fit the context of " +
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
