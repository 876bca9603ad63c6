// The one error type engine code throws. Its code is one of protocol/errorCodes.ts
// (NT_E_BAD_GGUF, NT_E_UNSUPPORTED, NT_E_IO, ...) and travels unchanged to JS, where tests and
// ntctl act on the code, never on the message text. Engine code never aborts the process: the
// N-API layer turns every EngineError into a rejected promise.
#pragma once

#include <stdexcept>
#include <string>

namespace nt {

class EngineError : public std::runtime_error {
 public:
  EngineError(std::string code, const std::string& message)
      : std::runtime_error(message), code_(std::move(code)) {}

  const std::string& code() const { return code_; }

 private:
  std::string code_;
};

inline EngineError bad_gguf(const std::string& message) {
  return EngineError("NT_E_BAD_GGUF", message);
}

}  // namespace nt
