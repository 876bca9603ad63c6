#pragma once

#include <napi.h>

namespace nt {

// Per-environment state of the addon (env.SetInstanceData): the constructors of the classes the
// engine hands out, so native code can create their JS objects. The env deletes it at teardown.
struct AddonData {
  Napi::FunctionReference native_model;
  Napi::FunctionReference native_tokenizer;
};

}  // namespace nt
