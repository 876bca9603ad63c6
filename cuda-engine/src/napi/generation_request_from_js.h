#pragma once

#include <napi.h>

#include "engine/generation.h"

namespace nt {

// Reads {prompt, maxTokens, temperature, topK, topP, minP, repeatPenalty, frequencyPenalty,
// presencePenalty, penaltyLastN, seed, stop, ignoreEos}; absent fields keep their defaults.
// Throws a JS error with code NT_E_BAD_REQUEST for a wrong type.
GenerationRequest generation_request_from_js(Napi::Env env, const Napi::Object& options);

std::vector<TokenId> token_ids_from_js(Napi::Env env, const Napi::Value& value);

}  // namespace nt
