// nt_seqpacket: helper.sock's transport (see binding.gyp for why it is native).
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <node_api.h>

#include "seqpacket.h"

napi_value throw_code(napi_env env, const char* code, const char* message) {
  napi_throw_error(env, code, message);
  return NULL;
}

napi_value throw_errno(napi_env env, const char* code, const char* what, int err) {
  char message[128];
  // GNU strerror_r returns the message (possibly not in `message`).
  const char* text = strerror_r(err, message, sizeof message);
  char full[256];
  snprintf(full, sizeof full, "%s: %s", what, text);
  napi_value error, code_value, message_value, errno_value;
  napi_create_string_utf8(env, code, NAPI_AUTO_LENGTH, &code_value);
  napi_create_string_utf8(env, full, NAPI_AUTO_LENGTH, &message_value);
  napi_create_error(env, code_value, message_value, &error);
  napi_create_int32(env, err, &errno_value);
  napi_set_named_property(env, error, "errno", errno_value);
  napi_throw(env, error);
  return NULL;
}

int get_fd(napi_env env, napi_value value, const char* fn, int32_t* fd) {
  if (napi_get_value_int32(env, value, fd) != napi_ok || *fd < 0) {
    char text[128];
    snprintf(text, sizeof text, "%s: fd must be a non-negative integer", fn);
    napi_throw_type_error(env, NULL, text);
    return 0;
  }
  return 1;
}

NAPI_MODULE_INIT() {
  static const struct { const char* name; napi_callback fn; } functions[] = {
    {"listen", seqpacket_listen},
    {"adopt", seqpacket_adopt},
    {"accept", seqpacket_accept},
    {"connect", seqpacket_connect},
    {"peerCredentials", seqpacket_peer_credentials},
    {"recv", seqpacket_recv},
    {"send", seqpacket_send},
    {"close", close_fd},
    {"pollerCreate", poller_create},
    {"pollerStart", poller_start},
    {"pollerClose", poller_close},
  };
  for (size_t i = 0; i < sizeof functions / sizeof functions[0]; i++) {
    napi_value fn;
    napi_create_function(env, functions[i].name, NAPI_AUTO_LENGTH, functions[i].fn, NULL, &fn);
    napi_set_named_property(env, exports, functions[i].name, fn);
  }
  return exports;
}
