// A libuv poll handle on a socket fd, calling back into JS when it becomes readable or writable:
// the event-loop integration the seqpacket sockets need (libuv's own streams would read() them
// and lose the passed fds). Level-triggered: JS reads/accepts until EAGAIN, then waits again.
#include <stdlib.h>
#include <node_api.h>
#include <uv.h>

#include "seqpacket.h"

typedef struct {
  uv_poll_t handle;
  napi_env env;
  napi_ref callback;
  napi_async_context context;
  int closing;
} poller_t;

static void on_poll(uv_poll_t* handle, int status, int events) {
  poller_t* poller = handle->data;
  if (poller->closing) return;
  napi_env env = poller->env;
  napi_handle_scope scope;
  napi_open_handle_scope(env, &scope);
  napi_value callback, receiver, argv[2], ignored;
  napi_get_reference_value(env, poller->callback, &callback);
  napi_get_global(env, &receiver);
  // Hang-ups and errors are reported as "readable": the next recv()/accept() says what happened.
  napi_create_int32(env, status < 0 ? UV_READABLE : events, &argv[0]);
  napi_create_int32(env, status, &argv[1]);
  if (napi_make_callback(env, poller->context, receiver, callback, 2, argv, &ignored) == napi_pending_exception) {
    napi_value error;
    napi_get_and_clear_last_exception(env, &error);
    napi_fatal_exception(env, error);
  }
  napi_close_handle_scope(env, scope);
}

static void on_close(uv_handle_t* handle) {
  poller_t* poller = handle->data;
  napi_delete_reference(poller->env, poller->callback);
  napi_async_destroy(poller->env, poller->context);
  free(poller);
}

static poller_t* get_poller(napi_env env, napi_value value) {
  void* data = NULL;
  if (napi_get_value_external(env, value, &data) != napi_ok || data == NULL) {
    napi_throw_type_error(env, NULL, "not a poller");
    return NULL;
  }
  poller_t* poller = data;
  if (poller->closing) {
    napi_throw_error(env, "NT_E_INTERNAL", "poller used after pollerClose");
    return NULL;
  }
  return poller;
}

// pollerCreate(fd, callback(events, status)) -> poller (not yet polling; see pollerStart).
napi_value poller_create(napi_env env, napi_callback_info info) {
  size_t argc = 2;
  napi_value argv[2];
  napi_get_cb_info(env, info, &argc, argv, NULL, NULL);
  int32_t fd;
  if (argc != 2 || !get_fd(env, argv[0], "pollerCreate", &fd)) return NULL;
  uv_loop_t* loop;
  if (napi_get_uv_event_loop(env, &loop) != napi_ok) return throw_code(env, "NT_E_INTERNAL", "no libuv loop");
  poller_t* poller = calloc(1, sizeof *poller);
  if (!poller) return throw_code(env, "NT_E_OUT_OF_MEMORY", "pollerCreate");
  int err = uv_poll_init(loop, &poller->handle, fd);
  if (err != 0) {
    free(poller);
    return throw_code(env, "NT_E_IO", uv_strerror(err));
  }
  poller->handle.data = poller;
  poller->env = env;
  napi_create_reference(env, argv[1], 1, &poller->callback);
  napi_value name;
  napi_create_string_utf8(env, "nt:seqpacket", NAPI_AUTO_LENGTH, &name);
  napi_async_init(env, NULL, name, &poller->context);
  napi_value external;
  // Freed by on_close, after pollerClose; JS calls pollerClose exactly once.
  napi_create_external(env, poller, NULL, NULL, &external);
  return external;
}

// pollerStart(poller, events): 1 readable, 2 writable, both or 0 (stop polling for now).
napi_value poller_start(napi_env env, napi_callback_info info) {
  size_t argc = 2;
  napi_value argv[2];
  napi_get_cb_info(env, info, &argc, argv, NULL, NULL);
  poller_t* poller = argc == 2 ? get_poller(env, argv[0]) : NULL;
  if (!poller) return NULL;
  int32_t events = 0;
  napi_get_value_int32(env, argv[1], &events);
  events &= UV_READABLE | UV_WRITABLE;
  int err = events == 0 ? uv_poll_stop(&poller->handle) : uv_poll_start(&poller->handle, events, on_poll);
  if (err != 0) return throw_code(env, "NT_E_IO", uv_strerror(err));
  return NULL;
}

// pollerClose(poller): stops and releases the handle; the fd may be closed right after.
napi_value poller_close(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  napi_get_cb_info(env, info, &argc, argv, NULL, NULL);
  poller_t* poller = argc == 1 ? get_poller(env, argv[0]) : NULL;
  if (!poller) return NULL;
  poller->closing = 1;
  uv_poll_stop(&poller->handle);
  uv_close((uv_handle_t*)&poller->handle, on_close);
  return NULL;
}
