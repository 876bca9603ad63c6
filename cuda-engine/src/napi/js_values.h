// Conversions from engine structs to JS values for the N-API addon.
#pragma once

#include <napi.h>

#include "backend/device_report.h"
#include "core/engine_error.h"
#include "gguf/gguf_file.h"
#include "model/model.h"

namespace nt {

Napi::Object gguf_to_js(Napi::Env env, const GgufFile& file);
Napi::Object device_report_to_js(Napi::Env env, const DeviceReport& report);
Napi::Object placement_to_js(Napi::Env env, const Model& model);
// With `dual` (a model on the dual path) the passes that took the split as well.
Napi::Object stream_stats_to_js(Napi::Env env, const StreamStats& stats, bool dual);

// A JS Error whose `code` property carries the EngineError code (NT_E_...).
Napi::Error engine_error_to_js(Napi::Env env, ErrorCode code, const std::string& message);

}  // namespace nt
