// The functions of the nt_seqpacket addon, and the small helpers they share (module.c).
#pragma once
#include <stdint.h>
#include <node_api.h>

/** Throws an Error with `code` (an NT_E_* string) and "what: strerror(err)"; returns NULL. */
napi_value throw_errno(napi_env env, const char* code, const char* what, int err);
/** Throws an Error with `code` and `message`; returns NULL. */
napi_value throw_code(napi_env env, const char* code, const char* message);
/** Reads `value` as a non-negative int32 file descriptor, or throws a TypeError and returns 0. */
int get_fd(napi_env env, napi_value value, const char* fn, int32_t* fd);

napi_value seqpacket_listen(napi_env env, napi_callback_info info);
napi_value seqpacket_adopt(napi_env env, napi_callback_info info);
napi_value seqpacket_accept(napi_env env, napi_callback_info info);
napi_value seqpacket_connect(napi_env env, napi_callback_info info);
napi_value seqpacket_peer_credentials(napi_env env, napi_callback_info info);
napi_value seqpacket_recv(napi_env env, napi_callback_info info);
napi_value seqpacket_send(napi_env env, napi_callback_info info);
napi_value close_fd(napi_env env, napi_callback_info info);
napi_value poller_create(napi_env env, napi_callback_info info);
napi_value poller_start(napi_env env, napi_callback_info info);
napi_value poller_close(napi_env env, napi_callback_info info);
