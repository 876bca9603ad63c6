// nt_helper_native: the helper's privileged primitives (see binding.gyp for why each is native).
#define _GNU_SOURCE
#include <stdio.h>
#include <string.h>
#include <node_api.h>

#include "helper_native.h"

napi_value throw_errno(napi_env env, const char* code, const char* what, int err) {
  char text[128];
  char message[256];
  // GNU strerror_r returns the text (possibly not in `text`).
  snprintf(message, sizeof message, "%s: %s", what, strerror_r(err, text, sizeof text));
  napi_value error, code_value, message_value, errno_value;
  napi_create_string_utf8(env, code, NAPI_AUTO_LENGTH, &code_value);
  napi_create_string_utf8(env, message, NAPI_AUTO_LENGTH, &message_value);
  napi_create_error(env, code_value, message_value, &error);
  napi_create_int32(env, err, &errno_value);
  napi_set_named_property(env, error, "errno", errno_value);
  napi_throw(env, error);
  return NULL;
}

NAPI_MODULE_INIT() {
  static const struct { const char* name; napi_callback fn; } functions[] = {
    {"peerCredentials", peer_credentials},
    {"alignedBuffer", aligned_buffer},
    {"blockDeviceGeometry", block_device_geometry},
    {"nvmeOpen", nvme_open},
    {"nvmeInfo", nvme_info},
    {"nvmeRead", nvme_read},
    {"nvmeClose", nvme_close},
    {"dataplaneOpen", dataplane_open},
    {"dataplaneStatus", dataplane_status},
    {"dataplaneClose", dataplane_close},
  };
  for (size_t i = 0; i < sizeof functions / sizeof functions[0]; i++) {
    napi_value fn;
    napi_create_function(env, functions[i].name, NAPI_AUTO_LENGTH, functions[i].fn, NULL, &fn);
    napi_set_named_property(env, exports, functions[i].name, fn);
  }
  return exports;
}
