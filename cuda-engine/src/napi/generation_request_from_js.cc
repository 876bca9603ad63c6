#include "napi/generation_request_from_js.h"

#include <cmath>

#include "napi/js_values.h"

namespace nt {

namespace {

Napi::Error bad_request(Napi::Env env, const std::string& message) {
  return engine_error_to_js(env, NT_E_BAD_REQUEST, message);
}

double number_or(Napi::Env env, const Napi::Object& o, const char* key, double fallback) {
  const Napi::Value v = o.Get(key);
  if (v.IsUndefined() || v.IsNull()) return fallback;
  if (!v.IsNumber()) throw bad_request(env, std::string(key) + " must be a number");
  const double d = v.As<Napi::Number>().DoubleValue();
  if (!std::isfinite(d)) throw bad_request(env, std::string(key) + " must be finite");
  return d;
}

}  // namespace

std::vector<TokenId> token_ids_from_js(Napi::Env env, const Napi::Value& value) {
  std::vector<TokenId> ids;
  if (value.IsTypedArray() && value.As<Napi::TypedArray>().TypedArrayType() == napi_int32_array) {
    const Napi::Int32Array a = value.As<Napi::Int32Array>();
    ids.assign(a.Data(), a.Data() + a.ElementLength());
    return ids;
  }
  if (!value.IsArray()) throw bad_request(env, "tokens must be an array of integers or an Int32Array");
  const Napi::Array a = value.As<Napi::Array>();
  ids.reserve(a.Length());
  for (uint32_t i = 0; i < a.Length(); ++i) {
    const Napi::Value v = a.Get(i);
    if (!v.IsNumber()) throw bad_request(env, "token " + std::to_string(i) + " is not a number");
    const double d = v.As<Napi::Number>().DoubleValue();
    if (d != static_cast<double>(static_cast<TokenId>(d))) throw bad_request(env, "token " + std::to_string(i) + " is not a 32-bit integer");
    ids.push_back(static_cast<TokenId>(d));
  }
  return ids;
}

GenerationRequest generation_request_from_js(Napi::Env env, const Napi::Object& o) {
  GenerationRequest r;
  r.prompt = token_ids_from_js(env, o.Get("prompt"));
  r.max_tokens = static_cast<int32_t>(number_or(env, o, "maxTokens", -1));
  SamplingParams& s = r.sampling;
  s.temperature = static_cast<float>(number_or(env, o, "temperature", s.temperature));
  s.top_k = static_cast<int32_t>(number_or(env, o, "topK", s.top_k));
  s.top_p = static_cast<float>(number_or(env, o, "topP", s.top_p));
  s.min_p = static_cast<float>(number_or(env, o, "minP", s.min_p));
  s.repeat_penalty = static_cast<float>(number_or(env, o, "repeatPenalty", s.repeat_penalty));
  s.frequency_penalty = static_cast<float>(number_or(env, o, "frequencyPenalty", s.frequency_penalty));
  s.presence_penalty = static_cast<float>(number_or(env, o, "presencePenalty", s.presence_penalty));
  s.penalty_last_n = static_cast<int32_t>(number_or(env, o, "penaltyLastN", s.penalty_last_n));
  s.seed = static_cast<uint64_t>(number_or(env, o, "seed", 0));
  const Napi::Value stop = o.Get("stop");
  if (stop.IsArray()) {
    const Napi::Array a = stop.As<Napi::Array>();
    for (uint32_t i = 0; i < a.Length(); ++i) {
      if (!a.Get(i).IsString()) throw bad_request(env, "stop strings must be strings");
      r.stop.push_back(a.Get(i).As<Napi::String>().Utf8Value());
    }
  } else if (!stop.IsUndefined() && !stop.IsNull()) {
    throw bad_request(env, "stop must be an array of strings");
  }
  r.top_logprobs = static_cast<int32_t>(number_or(env, o, "topLogprobs", -1));
  const Napi::Value ignore_eos = o.Get("ignoreEos");
  r.ignore_eos = ignore_eos.IsBoolean() && ignore_eos.As<Napi::Boolean>().Value();
  return r;
}

}  // namespace nt
