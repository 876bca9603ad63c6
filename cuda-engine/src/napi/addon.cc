// The N-API face of the engine. Work that touches files or devices runs on libuv's worker pool
// (Napi::AsyncWorker) so the JS event loop never waits on it; every C++ exception becomes a
// rejected promise or a thrown JS error with a stable code, never an abort.
#include <napi.h>

#include "backend/device_report.h"
#include "core/engine_error.h"
#include "cpu/simd.h"
#include "gguf/gguf_file.h"
#include "napi/js_values.h"
#include "napi/addon_data.h"
#include "napi/model_handle.h"
#include "napi/tokenizer_handle.h"

namespace nt {

namespace {

class ReadGgufWorker : public Napi::AsyncWorker {
 public:
  ReadGgufWorker(Napi::Env env, std::string path)
      : Napi::AsyncWorker(env, "nt.readGguf"), path_(std::move(path)), deferred_(env) {}

  Napi::Promise promise() { return deferred_.Promise(); }

  void Execute() override {
    try {
      file_ = read_gguf_file(path_);
    } catch (const EngineError& e) {
      code_ = e.error_code();
      SetError(e.what());
    } catch (const std::bad_alloc&) {
      code_ = NT_E_OUT_OF_MEMORY;
      SetError(path_ + ": out of memory while reading the GGUF header");
    } catch (const std::exception& e) {
      code_ = NT_E_INTERNAL;
      SetError(path_ + ": " + e.what());
    }
  }

  void OnOK() override { deferred_.Resolve(gguf_to_js(Env(), file_)); }

  void OnError(const Napi::Error& error) override {
    deferred_.Reject(engine_error_to_js(Env(), code_, error.Message()).Value());
  }

 private:
  std::string path_;
  Napi::Promise::Deferred deferred_;
  GgufFile file_;
  ErrorCode code_ = NT_E_INTERNAL;
};

Napi::Value ReadGguf(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (info.Length() < 1 || !info[0].IsString()) {
    throw engine_error_to_js(env, NT_E_BAD_REQUEST, "readGguf(path): path must be a string");
  }
  auto* worker = new ReadGgufWorker(env, info[0].As<Napi::String>());
  Napi::Promise promise = worker->promise();
  worker->Queue();  // libuv owns and deletes the worker
  return promise;
}

Napi::Value Devices(const Napi::CallbackInfo& info) {
  return device_report_to_js(info.Env(), query_devices());
}

// The CPU kernels' level as the backend chooses it (NT_CPU_SIMD or the best the CPU has); a bad
// NT_CPU_SIMD is reported here rather than thrown: build info must always answer.
std::string simd_level() {
  try {
    return cpu::simd_level_name(cpu::simd_level());
  } catch (const EngineError& e) {
    return std::string("unusable: ") + e.what();
  }
}

Napi::Value BuildInfo(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  Napi::Object out = Napi::Object::New(env);
  out.Set("version", NT_ENGINE_VERSION);
  out.Set("cuda", NT_WITH_CUDA != 0);
  out.Set("cudaArchitectures", NT_CUDA_ARCHITECTURES);
  out.Set("simd", simd_level());
  return out;
}

Napi::Object Init(Napi::Env env, Napi::Object exports) {
  exports.Set("readGguf", Napi::Function::New(env, ReadGguf, "readGguf"));
  exports.Set("devices", Napi::Function::New(env, Devices, "devices"));
  exports.Set("buildInfo", Napi::Function::New(env, BuildInfo, "buildInfo"));
  exports.Set("loadModel", Napi::Function::New(env, LoadModel, "loadModel"));
  exports.Set("loadTokenizer", Napi::Function::New(env, LoadTokenizer, "loadTokenizer"));
  env.SetInstanceData(new AddonData{Napi::Persistent(ModelHandle::define(env)),
                                    Napi::Persistent(TokenizerHandle::define(env))});
  return exports;
}

}  // namespace

}  // namespace nt

// NODE_API_MODULE pastes its second argument into an identifier, so it needs an unqualified name.
static Napi::Object InitEngineAddon(Napi::Env env, Napi::Object exports) { return nt::Init(env, exports); }

NODE_API_MODULE(nt_engine, InitEngineAddon)
