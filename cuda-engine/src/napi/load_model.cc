// loadModel(path, options, onProgress?): reads the GGUF, checks it, loads the weights and starts
// the generation loop on libuv's worker pool; progress reaches JS through a thread-safe function.
#include <climits>
#include <cmath>
#include <optional>

#include "core/engine_error.h"
#include "io/model_source.h"
#include "napi/js_values.h"
#include "napi/model_handle.h"

namespace nt {

namespace {

struct Progress {
  double done, total;
};

void deliver_progress(Napi::Env env, Napi::Function callback, void* /*context*/, Progress* progress) {
  std::unique_ptr<Progress> owned(progress);
  if (env != nullptr && callback != nullptr) {
    callback.Call({Napi::Number::New(env, owned->done), Napi::Number::New(env, owned->total)});
  }
}

using ProgressTsfn = Napi::TypedThreadSafeFunction<void, Progress, deliver_progress>;

class LoadModelWorker : public Napi::AsyncWorker {
 public:
  LoadModelWorker(Napi::Env env, ModelSource source, ModelOptions model_options, GenerationLoopOptions loop_options,
                  std::optional<ProgressTsfn> progress)
      : Napi::AsyncWorker(env, "nt.loadModel"), source_(std::move(source)), model_options_(model_options),
        loop_options_(loop_options), progress_(std::move(progress)), deferred_(env) {}
  Napi::Promise promise() { return deferred_.Promise(); }

  void Execute() override {
    try {
      auto loaded = std::make_shared<LoadedModel>();
      loaded->model = Model::load(source_, model_options_, [this](uint64_t done, uint64_t total) { report(done, total); });
      loaded->loop = std::make_unique<GenerationLoop>(*loaded->model, loop_options_);
      loaded_ = std::move(loaded);
    } catch (const EngineError& e) {
      fail(e.error_code(), e.what());
    } catch (const std::bad_alloc&) {
      fail(NT_E_OUT_OF_MEMORY, source_.name() + ": out of memory while loading");
    } catch (const std::exception& e) {
      fail(NT_E_INTERNAL, source_.name() + ": " + e.what());
    }
    if (progress_) progress_->Release();
  }
  void OnOK() override { deferred_.Resolve(ModelHandle::wrap(Env(), std::move(loaded_))); }
  void OnError(const Napi::Error& error) override {
    deferred_.Reject(engine_error_to_js(Env(), code_, error.Message()).Value());
  }

 private:
  // At most one report per percent, so a fast disk does not flood the event loop.
  void report(uint64_t done, uint64_t total) {
    if (!progress_ || total == 0) return;
    const int percent = static_cast<int>(100.0 * static_cast<double>(done) / static_cast<double>(total));
    if (percent == last_percent_ && done != total) return;
    last_percent_ = percent;
    progress_->NonBlockingCall(new Progress{static_cast<double>(done), static_cast<double>(total)});
  }
  void fail(ErrorCode code, const std::string& message) {
    code_ = code;
    SetError(message);
  }

  ModelSource source_;  // an image's fd or a session's memfd stays the caller's: the model dups or maps what it keeps
  ModelOptions model_options_;
  GenerationLoopOptions loop_options_;
  std::optional<ProgressTsfn> progress_;
  Napi::Promise::Deferred deferred_;
  std::shared_ptr<LoadedModel> loaded_;
  ErrorCode code_ = NT_E_INTERNAL;
  int last_percent_ = -1;
};

int32_t int_option(Napi::Env env, const Napi::Object& o, const char* key, int32_t fallback) {
  const Napi::Value v = o.Get(key);
  if (v.IsUndefined() || v.IsNull()) return fallback;
  if (!v.IsNumber() || !std::isfinite(v.As<Napi::Number>().DoubleValue())) {
    throw engine_error_to_js(env, NT_E_BAD_REQUEST, std::string(key) + " must be a number");
  }
  return v.As<Napi::Number>().Int32Value();
}

// A byte count: a non-negative safe integer (JS numbers are exact up to 2^53).
int64_t bytes_option(Napi::Env env, const Napi::Object& o, const char* key) {
  const Napi::Value v = o.Get(key);
  if (v.IsUndefined() || v.IsNull()) return -1;
  const double d = v.IsNumber() ? v.As<Napi::Number>().DoubleValue() : -1;
  if (!(d >= 0 && d <= 9007199254740991.0) || std::floor(d) != d) {
    throw engine_error_to_js(env, NT_E_BAD_REQUEST, std::string(key) + " must be a whole number of bytes >= 0");
  }
  return static_cast<int64_t>(d);
}

std::string string_option(Napi::Env env, const Napi::Object& o, const char* key, const std::string& fallback) {
  const Napi::Value v = o.Get(key);
  if (v.IsUndefined() || v.IsNull()) return fallback;
  if (!v.IsString()) throw engine_error_to_js(env, NT_E_BAD_REQUEST, std::string(key) + " must be a string");
  return v.As<Napi::String>();
}

// The protocol's load options (protocol/verbs/loadOptions.ts, their one definition, passed through
// unchanged by the daemon), converted once to the engine's ModelOptions.
ModelOptions model_options_from_js(Napi::Env env, const Napi::Object& options, const GenerationLoopOptions& loop) {
  ModelOptions m;
  m.n_ctx = int_option(env, options, "nCtx", 0);
  m.threads = int_option(env, options, "threads", 0);
  m.backend = string_option(env, options, "backend", "auto");
  m.vram_budget = bytes_option(env, options, "vramBudget");
  m.pinned_budget = bytes_option(env, options, "pinnedBudget");
  m.staging_slots = int_option(env, options, "stagingSlots", m.staging_slots);
  const Napi::Value buffered = options.Get("allowBufferedIo");
  m.allow_buffered_io = buffered.IsBoolean() && buffered.As<Napi::Boolean>().Value();
  m.kv_size = int_option(env, options, "kvSize", 0);
  const std::string dual = string_option(env, options, "dualPath", "auto");
  if (dual != "off" && dual != "auto" && dual != "on") {
    throw engine_error_to_js(env, NT_E_BAD_REQUEST, "dualPath must be auto, on or off, not '" + dual + "'");
  }
  m.dual_path = dual == "on" ? DualPathMode::On : dual == "auto" ? DualPathMode::Auto : DualPathMode::Off;
  m.dual_pattern = string_option(env, options, "dualPattern", "");
  m.calibration_cache = string_option(env, options, "calibrationCache", "");
  const Napi::Value recalibrate = options.Get("recalibrate");
  m.recalibrate = recalibrate.IsBoolean() && recalibrate.As<Napi::Boolean>().Value();
  m.kv_type = string_option(env, options, "kvType", m.kv_type);
  m.n_sequences = loop.max_sequences;  // the default KV pool holds a full context for each
  m.n_batch = loop.n_batch;
  return m;
}

constexpr double kMaxSafeInteger = 9007199254740991.0;  // 2^53 - 1: larger doubles skip integers

[[noreturn]] void bad_image(Napi::Env env, const std::string& message) {
  throw engine_error_to_js(env, NT_E_BAD_REQUEST, message);
}

uint64_t image_field(Napi::Env env, const Napi::Object& image, const char* key) {
  const Napi::Value v = image.Get(key);
  const double d = v.IsNumber() ? v.As<Napi::Number>().DoubleValue() : -1;
  if (!(d >= 0 && d <= kMaxSafeInteger) || std::floor(d) != d) {
    bad_image(env, std::string("image.") + key + " must be a whole number >= 0");
  }
  return static_cast<uint64_t>(d);
}

// A descriptor field: a whole number no larger than an int.
int fd_field(Napi::Env env, const Napi::Object& o, const char* object, const char* key) {
  const uint64_t fd = image_field(env, o, key);
  if (fd > static_cast<uint64_t>(INT32_MAX)) {
    bad_image(env, std::string(object) + "." + key + " " + std::to_string(fd) + " is not a descriptor");
  }
  return static_cast<int>(fd);
}

// options.vfio (the vfio backend, DESIGN §2): the memfd of the helper's data-plane session
// (open-dataplane), the placed GGUF's size, optionally how long a read waits for the helper and
// the drive's PCI address (keying its measured read speed); `path` then only names the model.
ModelSource vfio_source_from_js(Napi::Env env, const std::string& path, const Napi::Value& v) {
  if (!v.IsObject() || v.IsArray()) bad_image(env, "vfio must be an object { fd, size }");
  const Napi::Object vfio = v.As<Napi::Object>();
  const int fd = fd_field(env, vfio, "vfio", "fd");
  const uint64_t size = image_field(env, vfio, "size");
  if (size == 0) bad_image(env, "vfio.size must be greater than 0");
  ModelSource s = ModelSource::vfio(fd, size, path);
  if (!vfio.Get("timeoutMs").IsUndefined()) {
    const uint64_t timeout = image_field(env, vfio, "timeoutMs");
    if (timeout == 0 || timeout > INT32_MAX) bad_image(env, "vfio.timeoutMs must be between 1 and " + std::to_string(INT32_MAX));
    s.timeout_ms = static_cast<int>(timeout);
  }
  const Napi::Value device = vfio.Get("device");
  if (!device.IsUndefined()) {
    if (!device.IsString()) bad_image(env, "vfio.device must be a string (the drive's PCI address)");
    s.device = device.As<Napi::String>().Utf8Value();
    if (s.device.empty() || s.device.size() > 64) bad_image(env, "vfio.device must be 1 to 64 characters");
  }
  return s;
}

// options.image (the raw backend, DESIGN §2): the helper's read-only fd of the block device, and
// where the GGUF lies in it; `path` then only names the model. options.vfio: the data plane's
// session instead (one of the two at most). Without either, `path` is the file.
ModelSource model_source_from_js(Napi::Env env, const std::string& path, const Napi::Object& options) {
  const Napi::Value v = options.Get("image");
  const Napi::Value vfio = options.Get("vfio");
  const bool has_vfio = !vfio.IsUndefined() && !vfio.IsNull();
  if (v.IsUndefined() || v.IsNull()) return has_vfio ? vfio_source_from_js(env, path, vfio) : ModelSource::file(path);
  if (has_vfio) bad_image(env, "give image or vfio, not both");
  if (!v.IsObject() || v.IsArray()) bad_image(env, "image must be an object { fd, offset, size }");
  const Napi::Object image = v.As<Napi::Object>();
  const int fd = fd_field(env, image, "image", "fd");
  const uint64_t offset = image_field(env, image, "offset");
  if (offset % kImageAlignment != 0) {
    bad_image(env, "image.offset " + std::to_string(offset) + " is not a multiple of " + std::to_string(kImageAlignment));
  }
  const uint64_t size = image_field(env, image, "size");
  if (size == 0) bad_image(env, "image.size must be greater than 0");
  return ModelSource::image(fd, offset, size, path);
}

}  // namespace

Napi::Value LoadModel(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (info.Length() < 1 || !info[0].IsString()) {
    throw engine_error_to_js(env, NT_E_BAD_REQUEST, "loadModel(path, options, onProgress): path must be a string");
  }
  const Napi::Object options = info.Length() > 1 && info[1].IsObject() ? info[1].As<Napi::Object>() : Napi::Object::New(env);
  GenerationLoopOptions loop_options;
  loop_options.max_sequences = std::max(1, int_option(env, options, "maxSequences", loop_options.max_sequences));
  loop_options.n_batch = std::max(1, int_option(env, options, "nBatch", loop_options.n_batch));
  const ModelOptions model_options = model_options_from_js(env, options, loop_options);
  ModelSource source = model_source_from_js(env, info[0].As<Napi::String>(), options);
  std::optional<ProgressTsfn> progress;
  if (info.Length() > 2 && info[2].IsFunction()) {
    progress = ProgressTsfn::New(env, info[2].As<Napi::Function>(), "nt.loadModel.progress", 0, 1);
  }
  auto* worker = new LoadModelWorker(env, std::move(source), model_options, loop_options, std::move(progress));
  Napi::Promise promise = worker->promise();
  worker->Queue();
  return promise;
}

}  // namespace nt
