// Compiled twice (test/layers/layers.cmake): with NT_PROBE_CODE an ErrorCode it builds; with a
// string, even a correctly spelt one, it must not, so that no code outside the closed set
// (core/error_code.h) can be thrown.
#include "core/engine_error.h"

nt::EngineError probe_error() { return nt::EngineError(NT_PROBE_CODE, "probe"); }
