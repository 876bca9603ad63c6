// The one error type engine code throws. Its code is one of core/error_code.h's closed set
// (NT_E_BAD_GGUF, NT_E_UNSUPPORTED, NT_E_IO, ...) and travels unchanged to JS, where tests and
// ntctl act on the code, never on the message text. Engine code never aborts the process: the
// N-API layer turns every EngineError into a rejected promise.
#pragma once

#include <stdexcept>
#include <string>

#include "core/error_code.h"

namespace nt {

class EngineError : public std::runtime_error {
 public:
  EngineError(ErrorCode code, const std::string& message) : std::runtime_error(message), code_(code) {}

  ErrorCode error_code() const { return code_; }
  std::string code() const { return error_code_name(code_); }  // "NT_E_IO", as JS sees it

 private:
  ErrorCode code_;
};

inline EngineError bad_gguf(const std::string& message) {
  return EngineError(NT_E_BAD_GGUF, message);
}

}  // namespace nt
