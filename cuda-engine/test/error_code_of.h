// The EngineError code that `f` throws, or "no error": for tests that expect a refusal by its code.
#pragma once

#include <functional>
#include <string>

#include "core/engine_error.h"

namespace nt::test {

inline std::string error_code_of(const std::function<void()>& f) {
  try {
    f();
  } catch (const EngineError& e) {
    return e.code();
  }
  return "no error";
}

}  // namespace nt::test
