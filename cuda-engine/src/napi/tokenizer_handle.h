// The JS object for a tokenizer read from a GGUF file alone (NativeTokenizer in EngineBinding.ts):
// vocabulary-only files, and a model's vocabulary without loading its weights.
#pragma once

#include <napi.h>

#include <memory>

#include "tokenizer/tokenizer.h"

namespace nt {

class TokenizerHandle : public Napi::ObjectWrap<TokenizerHandle> {
 public:
  static Napi::Function define(Napi::Env env);
  static Napi::Object wrap(Napi::Env env, std::shared_ptr<Tokenizer> tokenizer);

  explicit TokenizerHandle(const Napi::CallbackInfo& info);

 private:
  Napi::Value tokenize(const Napi::CallbackInfo& info);
  Napi::Value detokenize(const Napi::CallbackInfo& info);

  std::shared_ptr<Tokenizer> tokenizer_;
};

// loadTokenizer(path) → Promise<NativeTokenizer>
Napi::Value LoadTokenizer(const Napi::CallbackInfo& info);

// Shared by NativeModel and NativeTokenizer: tokenize(text, addSpecial, parseSpecial) or
// tokenize([{text, parseSpecial}, ...], addSpecial) → Int32Array, and detokenize(ids,
// renderSpecial) → string, with errors as JS errors carrying their code.
Napi::Value tokenize_to_js(const Napi::CallbackInfo& info, const Tokenizer& tokenizer);
Napi::Value detokenize_to_js(const Napi::CallbackInfo& info, const Tokenizer& tokenizer);

}  // namespace nt
