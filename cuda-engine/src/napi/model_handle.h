// The JS object for a loaded model (NativeModel in cuda-engine/js/EngineBinding.ts). It owns the
// model and its generation loop; requests stream their events back through one thread-safe
// function each, so the loop thread never touches JS.
#pragma once

#include <napi.h>

#include <memory>

#include "engine/generation_loop.h"
#include "model/model.h"

namespace nt {

struct LoadedModel {
  std::unique_ptr<Model> model;
  std::unique_ptr<GenerationLoop> loop;  // declared after model: destroyed first
};

class ModelHandle : public Napi::ObjectWrap<ModelHandle> {
 public:
  static Napi::Function define(Napi::Env env);
  // Wraps a loaded model in a new JS object.
  static Napi::Object wrap(Napi::Env env, std::shared_ptr<LoadedModel> loaded);

  explicit ModelHandle(const Napi::CallbackInfo& info);

 private:
  Napi::Value info(const Napi::CallbackInfo& info);
  Napi::Value tokenize(const Napi::CallbackInfo& info);
  Napi::Value detokenize(const Napi::CallbackInfo& info);
  Napi::Value generate(const Napi::CallbackInfo& info);
  Napi::Value cancel(const Napi::CallbackInfo& info);
  Napi::Value evaluate(const Napi::CallbackInfo& info);
  Napi::Value stats(const Napi::CallbackInfo& info);
  Napi::Value dispose(const Napi::CallbackInfo& info);

  // The model, or a thrown NT_E_BAD_REQUEST when it was disposed.
  LoadedModel& loaded(Napi::Env env);

  std::shared_ptr<LoadedModel> loaded_;
};

// loadModel(path, options, onProgress?) → Promise<NativeModel>
Napi::Value LoadModel(const Napi::CallbackInfo& info);

}  // namespace nt
