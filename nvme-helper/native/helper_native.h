// The functions of the nt_helper_native addon, and the one helper they share (module.c).
#pragma once
#include <node_api.h>

/** Throws an Error with `code` (an NT_E_* string), "what: strerror(err)" and `errno`; returns NULL. */
napi_value throw_errno(napi_env env, const char* code, const char* what, int err);

napi_value peer_credentials(napi_env env, napi_callback_info info);
napi_value aligned_buffer(napi_env env, napi_callback_info info);
napi_value block_device_geometry(napi_env env, napi_callback_info info);
napi_value nvme_open(napi_env env, napi_callback_info info);
napi_value nvme_info(napi_env env, napi_callback_info info);
napi_value nvme_read(napi_env env, napi_callback_info info);
napi_value nvme_close(napi_env env, napi_callback_info info);
napi_value dataplane_open(napi_env env, napi_callback_info info);
napi_value dataplane_status(napi_env env, napi_callback_info info);
napi_value dataplane_close(napi_env env, napi_callback_info info);
