#include "napi/tokenizer_handle.h"

#include "core/engine_error.h"
#include "gguf/gguf_file.h"
#include "napi/addon_data.h"
#include "napi/generation_request_from_js.h"
#include "napi/js_values.h"

namespace nt {

namespace {

class LoadTokenizerWorker : public Napi::AsyncWorker {
 public:
  LoadTokenizerWorker(Napi::Env env, std::string path)
      : Napi::AsyncWorker(env, "nt.loadTokenizer"), path_(std::move(path)), deferred_(env) {}
  Napi::Promise promise() { return deferred_.Promise(); }

  void Execute() override {
    try {
      tokenizer_ = Tokenizer::from_gguf(read_gguf_file(path_));
    } catch (const EngineError& e) {
      code_ = e.error_code();
      SetError(path_ + ": " + e.what());
    } catch (const std::bad_alloc&) {
      code_ = NT_E_OUT_OF_MEMORY;
      SetError(path_ + ": out of memory while reading the vocabulary");
    }
  }
  void OnOK() override { deferred_.Resolve(TokenizerHandle::wrap(Env(), std::move(tokenizer_))); }
  void OnError(const Napi::Error& error) override {
    deferred_.Reject(engine_error_to_js(Env(), code_, error.Message()).Value());
  }

 private:
  std::string path_;
  Napi::Promise::Deferred deferred_;
  std::shared_ptr<Tokenizer> tokenizer_;
  ErrorCode code_ = NT_E_INTERNAL;
};


// tokenize's first argument: a string (parsed as the third argument says), or an array of
// {text, parseSpecial} parts, each parsed as it says.
TokenizerInput tokenizer_input_from_js(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (info.Length() > 0 && info[0].IsString()) {
    return TokenizerInput(info[0].As<Napi::String>().Utf8Value(), info.Length() > 2 && info[2].ToBoolean());
  }
  if (info.Length() < 1 || !info[0].IsArray()) {
    throw engine_error_to_js(env, NT_E_BAD_REQUEST, "tokenize(input): input must be a string or an array of segments");
  }
  const Napi::Array segments = info[0].As<Napi::Array>();
  TokenizerInput input;
  for (uint32_t i = 0; i < segments.Length(); ++i) {
    const Napi::Value segment = segments.Get(i);
    const Napi::Value text = segment.IsObject() ? segment.As<Napi::Object>().Get("text") : env.Undefined();
    const Napi::Value parse = segment.IsObject() ? segment.As<Napi::Object>().Get("parseSpecial") : env.Undefined();
    if (!text.IsString() || !parse.IsBoolean()) {
      throw engine_error_to_js(env, NT_E_BAD_REQUEST,
                               "tokenize(segments): segment " + std::to_string(i) +
                                   " must be {text: string, parseSpecial: boolean}");
    }
    input.append(text.As<Napi::String>().Utf8Value(), parse.As<Napi::Boolean>().Value());
  }
  return input;
}

}  // namespace

Napi::Value tokenize_to_js(const Napi::CallbackInfo& info, const Tokenizer& tokenizer) {
  Napi::Env env = info.Env();
  const TokenizerInput input = tokenizer_input_from_js(info);
  const bool add_special = info.Length() > 1 && info[1].ToBoolean();
  std::vector<TokenId> ids;
  try {
    ids = tokenizer.encode_input(input, add_special);
  } catch (const EngineError& e) {
    throw engine_error_to_js(env, e.error_code(), e.what());
  }
  Napi::Int32Array out = Napi::Int32Array::New(env, ids.size());
  std::copy(ids.begin(), ids.end(), out.Data());
  return out;
}

Napi::Value detokenize_to_js(const Napi::CallbackInfo& info, const Tokenizer& tokenizer) {
  Napi::Env env = info.Env();
  const std::vector<TokenId> ids = token_ids_from_js(env, info.Length() > 0 ? info[0] : env.Undefined());
  const bool render_special = info.Length() > 1 && info[1].ToBoolean();
  for (TokenId id : ids) {
    if (id < 0 || id >= tokenizer.n_vocab()) {
      throw engine_error_to_js(env, NT_E_BAD_REQUEST, "token id " + std::to_string(id) + " is outside the vocabulary");
    }
  }
  Utf8Stream text;
  std::string out;
  for (TokenId id : ids) out += text.push(tokenizer.token_to_piece(id, render_special));
  return Napi::String::New(env, out + text.flush());
}

Napi::Function TokenizerHandle::define(Napi::Env env) {
  return DefineClass(env, "NativeTokenizer", {InstanceMethod("tokenize", &TokenizerHandle::tokenize),
                                              InstanceMethod("detokenize", &TokenizerHandle::detokenize)});
}

Napi::Object TokenizerHandle::wrap(Napi::Env env, std::shared_ptr<Tokenizer> tokenizer) {
  Napi::Object object = env.GetInstanceData<AddonData>()->native_tokenizer.New({});
  TokenizerHandle::Unwrap(object)->tokenizer_ = std::move(tokenizer);
  return object;
}

TokenizerHandle::TokenizerHandle(const Napi::CallbackInfo& info) : Napi::ObjectWrap<TokenizerHandle>(info) {}

Napi::Value TokenizerHandle::tokenize(const Napi::CallbackInfo& info) {
  if (!tokenizer_) throw engine_error_to_js(info.Env(), NT_E_BAD_REQUEST, "this tokenizer was not loaded");
  return tokenize_to_js(info, *tokenizer_);
}

Napi::Value TokenizerHandle::detokenize(const Napi::CallbackInfo& info) {
  if (!tokenizer_) throw engine_error_to_js(info.Env(), NT_E_BAD_REQUEST, "this tokenizer was not loaded");
  return detokenize_to_js(info, *tokenizer_);
}

Napi::Value LoadTokenizer(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (info.Length() < 1 || !info[0].IsString()) {
    throw engine_error_to_js(env, NT_E_BAD_REQUEST, "loadTokenizer(path): path must be a string");
  }
  auto* worker = new LoadTokenizerWorker(env, info[0].As<Napi::String>());
  Napi::Promise promise = worker->promise();
  worker->Queue();
  return promise;
}

}  // namespace nt
