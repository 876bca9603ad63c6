#include "napi/model_handle.h"

#include "core/engine_error.h"
#include "napi/addon_data.h"
#include "napi/generation_request_from_js.h"
#include "napi/js_values.h"
#include "napi/tokenizer_handle.h"

namespace nt {

namespace {

// An event from the loop thread, carried to the JS thread by a thread-safe function.
struct PendingEvent {
  bool done = false;
  TokenEvent token;
  DoneEvent end;
};

Napi::Object timings_to_js(Napi::Env env, const Timings& t) {
  Napi::Object o = Napi::Object::New(env);
  o.Set("promptN", t.prompt_n);
  o.Set("promptMs", t.prompt_ms);
  o.Set("predictedN", t.predicted_n);
  o.Set("predictedMs", t.predicted_ms);
  return o;
}

Napi::Buffer<char> piece_to_js(Napi::Env env, const std::string& piece) {
  return Napi::Buffer<char>::Copy(env, piece.data(), piece.size());
}

// The token's bytes and its position's most likely tokens, for a request that asked for them.
void top_to_js(Napi::Env env, const TokenEvent& e, Napi::Object& o) {
  o.Set("piece", piece_to_js(env, e.piece));
  Napi::Array top = Napi::Array::New(env, e.top.size());
  for (size_t i = 0; i < e.top.size(); ++i) {
    Napi::Object t = Napi::Object::New(env);
    t.Set("token", e.top[i].token);
    t.Set("logprob", e.top[i].logprob);
    t.Set("piece", piece_to_js(env, e.top[i].piece));
    top.Set(static_cast<uint32_t>(i), t);
  }
  o.Set("top", top);
}

Napi::Object event_to_js(Napi::Env env, const PendingEvent& e) {
  Napi::Object o = Napi::Object::New(env);
  if (!e.done) {
    o.Set("type", "token");
    o.Set("token", e.token.token);
    o.Set("text", e.token.text);
    o.Set("logprob", e.token.logprob);
    if (e.token.with_top) top_to_js(env, e.token, o);
    return o;
  }
  o.Set("type", "done");
  o.Set("reason", e.end.reason);
  o.Set("text", e.end.text_tail);
  o.Set("timings", timings_to_js(env, e.end.timings));
  if (!e.end.code.empty()) o.Set("code", e.end.code);
  if (!e.end.message.empty()) o.Set("message", e.end.message);
  return o;
}

void deliver(Napi::Env env, Napi::Function callback, void* /*context*/, PendingEvent* event) {
  std::unique_ptr<PendingEvent> owned(event);
  if (env != nullptr && callback != nullptr) callback.Call({event_to_js(env, *owned)});
}

class EvaluateWorker : public Napi::AsyncWorker {
 public:
  EvaluateWorker(Napi::Env env, std::shared_ptr<LoadedModel> loaded, std::vector<TokenId> tokens, int32_t n_batch)
      : Napi::AsyncWorker(env, "nt.evaluate"), loaded_(std::move(loaded)), tokens_(std::move(tokens)),
        n_batch_(n_batch), deferred_(env) {}
  Napi::Promise promise() { return deferred_.Promise(); }

  void Execute() override {
    try {
      logits_ = loaded_->model->evaluate(tokens_, n_batch_);
    } catch (const EngineError& e) {
      code_ = e.error_code();
      SetError(e.what());
    } catch (const std::bad_alloc&) {
      code_ = NT_E_OUT_OF_MEMORY;
      SetError("out of memory while evaluating");
    }
  }
  void OnOK() override {
    Napi::Float32Array out = Napi::Float32Array::New(Env(), logits_.size());
    std::copy(logits_.begin(), logits_.end(), out.Data());
    deferred_.Resolve(out);
  }
  void OnError(const Napi::Error& error) override {
    deferred_.Reject(engine_error_to_js(Env(), code_, error.Message()).Value());
  }

 private:
  std::shared_ptr<LoadedModel> loaded_;
  std::vector<TokenId> tokens_;
  int32_t n_batch_;
  Napi::Promise::Deferred deferred_;
  std::vector<float> logits_;
  ErrorCode code_ = NT_E_INTERNAL;
};

// Frees the model on a worker thread: joining the loop and releasing gigabytes can take a while.
class DisposeWorker : public Napi::AsyncWorker {
 public:
  DisposeWorker(Napi::Env env, std::shared_ptr<LoadedModel> loaded)
      : Napi::AsyncWorker(env, "nt.dispose"), loaded_(std::move(loaded)), deferred_(env) {}
  Napi::Promise promise() { return deferred_.Promise(); }
  // Stopping the loop cancels its requests. The model itself goes when the last holder lets go:
  // an evaluation still running keeps it alive until it ends.
  void Execute() override {
    loaded_->loop.reset();
    loaded_.reset();
  }
  void OnOK() override { deferred_.Resolve(Env().Undefined()); }

 private:
  std::shared_ptr<LoadedModel> loaded_;
  Napi::Promise::Deferred deferred_;
};

}  // namespace

Napi::Function ModelHandle::define(Napi::Env env) {
  return DefineClass(env, "NativeModel",
                     {InstanceMethod("info", &ModelHandle::info), InstanceMethod("tokenize", &ModelHandle::tokenize),
                      InstanceMethod("detokenize", &ModelHandle::detokenize),
                      InstanceMethod("generate", &ModelHandle::generate), InstanceMethod("cancel", &ModelHandle::cancel),
                      InstanceMethod("evaluate", &ModelHandle::evaluate), InstanceMethod("stats", &ModelHandle::stats),
                      InstanceMethod("dispose", &ModelHandle::dispose)});
}

Napi::Object ModelHandle::wrap(Napi::Env env, std::shared_ptr<LoadedModel> loaded) {
  Napi::Object object = env.GetInstanceData<AddonData>()->native_model.New({});
  ModelHandle::Unwrap(object)->loaded_ = std::move(loaded);
  return object;
}

ModelHandle::ModelHandle(const Napi::CallbackInfo& info) : Napi::ObjectWrap<ModelHandle>(info) {}

LoadedModel& ModelHandle::loaded(Napi::Env env) {
  if (!loaded_ || !loaded_->model) throw engine_error_to_js(env, NT_E_BAD_REQUEST, "the model was disposed");
  return *loaded_;
}

Napi::Value ModelHandle::info(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  const Model& m = *loaded(env).model;
  const Hparams& h = m.hparams();
  Napi::Object o = Napi::Object::New(env);
  o.Set("architecture", h.arch);
  o.Set("nVocab", m.n_vocab());
  o.Set("nCtx", m.n_ctx());
  o.Set("nCtxTrain", h.n_ctx_train);
  o.Set("nEmbd", h.n_embd);
  o.Set("nLayer", h.n_layer);
  o.Set("nHead", h.n_head);
  o.Set("nHeadKv", h.n_head_kv);
  o.Set("nFf", h.n_ff);
  o.Set("threads", m.threads());
  const TierBytes& totals = m.plan().totals;
  o.Set("weightBytes", static_cast<double>(totals.a + totals.b + totals.c));
  o.Set("backend", m.backend_name());
  o.Set("placement", placement_to_js(env, m));
  // A full context's blocks in the pool's type.
  const KvPool& pool = m.kv_pool();
  o.Set("kvBytesPerSequence", static_cast<double>(2 * KvPool::side_bytes(pool.type(), h.n_layer, h.n_embd_kv(),
                                                                          KvPool::blocks_for(m.n_ctx()))));
  o.Set("bos", m.tokenizer().bos());
  o.Set("eos", m.tokenizer().eos());
  const GgufValue* tmpl = m.gguf().find("tokenizer.chat_template");
  if (tmpl && tmpl->is_string()) o.Set("chatTemplate", tmpl->as_string());
  return o;
}

Napi::Value ModelHandle::tokenize(const Napi::CallbackInfo& info) {
  return tokenize_to_js(info, loaded(info.Env()).model->tokenizer());
}

Napi::Value ModelHandle::detokenize(const Napi::CallbackInfo& info) {
  return detokenize_to_js(info, loaded(info.Env()).model->tokenizer());
}

Napi::Value ModelHandle::generate(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (info.Length() < 2 || !info[0].IsObject() || !info[1].IsFunction()) {
    throw engine_error_to_js(env, NT_E_BAD_REQUEST, "generate(request, onEvent): bad arguments");
  }
  LoadedModel& l = loaded(env);
  GenerationRequest request = generation_request_from_js(env, info[0].As<Napi::Object>());
  using Tsfn = Napi::TypedThreadSafeFunction<void, PendingEvent, deliver>;
  auto tsfn = std::make_shared<Tsfn>(Tsfn::New(env, info[1].As<Napi::Function>(), "nt.generate", 0, 1));
  GenerationCallbacks callbacks;
  callbacks.on_token = [tsfn](const TokenEvent& e) { tsfn->NonBlockingCall(new PendingEvent{false, e, {}}); };
  callbacks.on_done = [tsfn](const DoneEvent& e) {
    tsfn->NonBlockingCall(new PendingEvent{true, {}, e});
    tsfn->Release();
  };
  try {
    return Napi::Number::New(env, static_cast<double>(l.loop->submit(std::move(request), std::move(callbacks))));
  } catch (const EngineError& e) {
    tsfn->Release();
    throw engine_error_to_js(env, e.error_code(), e.what());
  }
}

Napi::Value ModelHandle::cancel(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (info.Length() < 1 || !info[0].IsNumber()) throw engine_error_to_js(env, NT_E_BAD_REQUEST, "cancel(id): id must be a number");
  if (!loaded_ || !loaded_->loop) return Napi::Boolean::New(env, false);
  return Napi::Boolean::New(env, loaded_->loop->cancel(static_cast<uint64_t>(info[0].As<Napi::Number>().Int64Value())));
}

Napi::Value ModelHandle::evaluate(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  loaded(env);
  std::vector<TokenId> tokens = token_ids_from_js(env, info[0]);
  const int32_t n_batch = info.Length() > 1 && info[1].IsNumber() ? info[1].As<Napi::Number>().Int32Value() : 512;
  auto* worker = new EvaluateWorker(env, loaded_, std::move(tokens), n_batch);
  Napi::Promise promise = worker->promise();
  worker->Queue();
  return promise;
}

Napi::Value ModelHandle::stats(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  LoadedModel& l = loaded(env);
  Napi::Object o = Napi::Object::New(env);
  o.Set("active", l.loop->active());
  o.Set("queued", l.loop->queued());
  o.Set("stages", stream_stats_to_js(env, l.model->stream_stats(), l.model->runs_segments()));
  if (const auto failure = l.model->failure()) {
    Napi::Object f = Napi::Object::New(env);
    f.Set("code", failure->code());
    f.Set("message", failure->what());
    o.Set("failure", f);
  }
  return o;
}

Napi::Value ModelHandle::dispose(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (!loaded_) {
    auto deferred = Napi::Promise::Deferred::New(env);
    deferred.Resolve(env.Undefined());
    return deferred.Promise();
  }
  auto* worker = new DisposeWorker(env, std::move(loaded_));
  Napi::Promise promise = worker->promise();
  worker->Queue();
  return promise;
}

}  // namespace nt
