// The codes engine code throws: a closed set, each named as protocol/errorCodes.ts spells it (a
// subset of that list, which test/core/error_code_test.cc checks). A misspelt code does not
// compile, where a string would have reached JS unknown and become NT_E_INTERNAL there.
#pragma once

namespace nt {

#define NT_ENGINE_ERROR_CODES(X) \
  X(NT_E_BAD_REQUEST)            \
  X(NT_E_NOT_FOUND)              \
  X(NT_E_CANCELLED)              \
  X(NT_E_BAD_GGUF)               \
  X(NT_E_UNSUPPORTED)            \
  X(NT_E_IO)                     \
  X(NT_E_NO_DEVICE)              \
  X(NT_E_OUT_OF_MEMORY)          \
  X(NT_E_INTERNAL)

// Unscoped, so that a throw names its code as JS will see it: EngineError(NT_E_IO, "..."). No
// string or integer converts to an ErrorCode.
enum ErrorCode {
#define NT_ERROR_CODE_ENUMERATOR(code) code,
  NT_ENGINE_ERROR_CODES(NT_ERROR_CODE_ENUMERATOR)
#undef NT_ERROR_CODE_ENUMERATOR
};

// Every code, in the order above.
inline constexpr ErrorCode kErrorCodes[] = {
#define NT_ERROR_CODE_VALUE(code) ErrorCode::code,
    NT_ENGINE_ERROR_CODES(NT_ERROR_CODE_VALUE)
#undef NT_ERROR_CODE_VALUE
};

// The code as it travels to JS: "NT_E_IO".
constexpr const char* error_code_name(ErrorCode code) {
  switch (code) {
#define NT_ERROR_CODE_CASE(c) \
  case ErrorCode::c:          \
    return #c;
    NT_ENGINE_ERROR_CODES(NT_ERROR_CODE_CASE)
#undef NT_ERROR_CODE_CASE
  }
  return "NT_E_INTERNAL";  // not reached: the switch names every code
}

}  // namespace nt
