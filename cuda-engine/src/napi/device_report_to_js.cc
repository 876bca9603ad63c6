#include "napi/js_values.h"

namespace nt {

namespace {

Napi::Object device_to_js(Napi::Env env, const DeviceInfo& d) {
  Napi::Object out = Napi::Object::New(env);
  out.Set("backend", d.backend);
  out.Set("index", d.index);
  out.Set("name", d.name);
  out.Set("totalBytes", static_cast<double>(d.total_bytes));
  out.Set("freeBytes", static_cast<double>(d.free_bytes));
  if (!d.compute_capability.empty()) out.Set("computeCapability", d.compute_capability);
  out.Set("cores", d.cores);
  return out;
}

Napi::Object cuda_status_to_js(Napi::Env env, const CudaStatus& s) {
  Napi::Object out = Napi::Object::New(env);
  out.Set("built", s.built);
  out.Set("available", s.available);
  if (!s.reason.empty()) out.Set("reason", s.reason);
  if (!s.runtime_version.empty()) out.Set("runtimeVersion", s.runtime_version);
  if (!s.driver_version.empty()) out.Set("driverVersion", s.driver_version);
  return out;
}

}  // namespace

Napi::Object device_report_to_js(Napi::Env env, const DeviceReport& report) {
  Napi::Object out = Napi::Object::New(env);
  out.Set("cuda", cuda_status_to_js(env, report.cuda));
  Napi::Array devices = Napi::Array::New(env, report.devices.size());
  for (size_t i = 0; i < report.devices.size(); ++i) devices.Set(i, device_to_js(env, report.devices[i]));
  out.Set("devices", devices);
  return out;
}

Napi::Error engine_error_to_js(Napi::Env env, ErrorCode code, const std::string& message) {
  Napi::Error error = Napi::Error::New(env, message);
  error.Set("code", error_code_name(code));
  return error;
}

}  // namespace nt
