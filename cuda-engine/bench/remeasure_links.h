// --measure-links: the link speeds measured again by nt-bench itself, after the tests, with the
// same routine the engine runs at load (stream/measure_links.h): a pinned H2D copy, a device
// memory read and an O_DIRECT read of the model file's tensor data, on a device of the backend
// the model runs on.
#pragma once

#include <string>

#include "model/model.h"
#include "tier/tier_plan.h"

namespace nt::bench {

// Throws EngineError (NT_E_OUT_OF_MEMORY when the measuring buffers do not fit next to the
// model, NT_E_IO when the file cannot be opened with O_DIRECT and allow_buffered is false).
LinkSpeeds remeasure_links(const Model& model, const std::string& path, bool allow_buffered);

}  // namespace nt::bench
