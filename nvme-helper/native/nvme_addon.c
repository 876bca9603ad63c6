// The user-space NVMe driver as the helper's TypeScript sees it: nvmeOpen → nvmeRead … → nvmeClose
// on an opaque handle (a napi External). The VFIO fds and the IOVAs stay in here; JavaScript gets
// the controller's identity and geometry and the bytes it asked for. These calls block the calling
// thread for the duration of the I/O; the streaming data plane runs on its own thread instead.
#define _GNU_SOURCE
#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <node_api.h>

#include "helper_native.h"
#include "dataplane.h"
#include "nvme_controller.h"

/** Reads go through one DMA buffer of this size, copied out to the caller's Buffer. */
#define BOUNCE_BYTES (4u << 20)

typedef struct {
  nvme_controller ctrl;
  dma_region bounce;
  int open;
  dataplane dp;
  int dp_active;  // dp started and not yet stopped (its thread may have ended on its own)
} nvme_handle;

static napi_value throw_fail(napi_env env, const nt_fail* fail) {
  napi_throw_error(env, fail->code ? fail->code : "NT_E_INTERNAL", fail->message);
  return NULL;
}

static void close_handle(nvme_handle* handle) {
  if (!handle->open) return;
  handle->open = 0;
  if (handle->dp_active) dataplane_stop(&handle->dp);
  handle->dp_active = 0;
  vfio_dma_free(&handle->ctrl.vfio, &handle->bounce);
  nvme_controller_close(&handle->ctrl);
}

static void finalize_handle(napi_env env, void* data, void* hint) {
  (void)env;
  (void)hint;
  close_handle(data);
  free(data);
}

/** Accepts only "/dev/vfio/<digits>": the helper derives it from sysfs, and nothing else may be opened here. */
static int valid_group_path(const char* path) {
  const char* prefix = "/dev/vfio/";
  if (strncmp(path, prefix, strlen(prefix)) != 0) return 0;
  const char* digits = path + strlen(prefix);
  if (*digits == 0 || strlen(digits) > 6) return 0;
  for (; *digits; digits++) {
    if (!isdigit((unsigned char)*digits)) return 0;
  }
  return 1;
}

/** A canonical PCI address, dddd:bb:dd.f in lower-case hex (what the allowlist holds). */
static int valid_bdf(const char* bdf) {
  const char* shape = "xxxx:xx:xx.x";
  if (strlen(bdf) != strlen(shape)) return 0;
  for (size_t i = 0; shape[i]; i++) {
    if (shape[i] == 'x' ? !(isdigit((unsigned char)bdf[i]) || (bdf[i] >= 'a' && bdf[i] <= 'f')) : bdf[i] != shape[i]) return 0;
  }
  return 1;
}

static int get_string(napi_env env, napi_value value, char* out, size_t size) {
  size_t length = 0;
  return napi_get_value_string_utf8(env, value, out, size, &length) == napi_ok && length + 1 < size;
}

static nvme_handle* get_handle(napi_env env, napi_value value) {
  void* data = NULL;
  napi_valuetype type;
  if (napi_typeof(env, value, &type) != napi_ok || type != napi_external || napi_get_value_external(env, value, &data) != napi_ok) {
    napi_throw_type_error(env, NULL, "not an NVMe handle from nvmeOpen");
    return NULL;
  }
  nvme_handle* handle = data;
  if (!handle->open) {
    napi_throw_error(env, "NT_E_IO", "the NVMe handle is closed");
    return NULL;
  }
  return handle;
}

// nvmeOpen(groupPath, bdf, serial) -> handle. Brings the controller up; NT_E_IDENTITY_MISMATCH when its serial is not `serial`.
napi_value nvme_open(napi_env env, napi_callback_info info) {
  size_t argc = 3;
  napi_value argv[3];
  napi_get_cb_info(env, info, &argc, argv, NULL, NULL);
  char group[32], bdf[16], serial[24];
  if (argc != 3 || !get_string(env, argv[0], group, sizeof group) || !get_string(env, argv[1], bdf, sizeof bdf) ||
      !get_string(env, argv[2], serial, sizeof serial) || !valid_group_path(group) || !valid_bdf(bdf) || serial[0] == 0) {
    napi_throw_type_error(env, "NT_E_BAD_REQUEST", "nvmeOpen(groupPath, bdf, serial): /dev/vfio/<group>, a canonical PCI address, a serial of at most 20 characters");
    return NULL;
  }
  nvme_handle* handle = calloc(1, sizeof *handle);
  if (handle == NULL) {
    napi_throw_error(env, "NT_E_OUT_OF_MEMORY", "nvmeOpen");
    return NULL;
  }
  nt_fail fail = {0};
  if (nvme_controller_open(&handle->ctrl, group, bdf, serial, &fail) != 0) {
    free(handle);
    return throw_fail(env, &fail);
  }
  handle->open = 1;
  if (vfio_dma_alloc(&handle->ctrl.vfio, BOUNCE_BYTES, &handle->bounce, &fail) != 0) {
    close_handle(handle);
    free(handle);
    return throw_fail(env, &fail);
  }
  napi_value result;
  if (napi_create_external(env, handle, finalize_handle, NULL, &result) != napi_ok) {
    close_handle(handle);
    free(handle);
    napi_throw_error(env, "NT_E_INTERNAL", "napi_create_external");
    return NULL;
  }
  return result;
}

static void set_string(napi_env env, napi_value object, const char* name, const char* text) {
  napi_value value;
  napi_create_string_utf8(env, text, NAPI_AUTO_LENGTH, &value);
  napi_set_named_property(env, object, name, value);
}

static void set_number(napi_env env, napi_value object, const char* name, double number) {
  napi_value value;
  napi_create_double(env, number, &value);
  napi_set_named_property(env, object, name, value);
}

// nvmeInfo(handle) -> {serial, model, firmware, namespaceId, lbaBytes, lbaCount, maxTransferBytes}.
napi_value nvme_info(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  napi_get_cb_info(env, info, &argc, argv, NULL, NULL);
  nvme_handle* handle = argc == 1 ? get_handle(env, argv[0]) : NULL;
  if (handle == NULL) return NULL;
  const nvme_controller* ctrl = &handle->ctrl;
  napi_value result;
  napi_create_object(env, &result);
  set_string(env, result, "serial", ctrl->serial);
  set_string(env, result, "model", ctrl->model);
  set_string(env, result, "firmware", ctrl->firmware);
  set_number(env, result, "namespaceId", ctrl->nsid);
  set_number(env, result, "lbaBytes", ctrl->lba_bytes);
  set_number(env, result, "lbaCount", (double)ctrl->lba_count);
  set_number(env, result, "maxTransferBytes", ctrl->max_transfer_bytes);
  return result;
}

// nvmeRead(handle, lba, buffer[, dmaOffset]) fills `buffer` (a multiple of the LBA size) from `lba` on.
// dmaOffset (a multiple of 4 below 4096, default 0) places the data that far into its first DMA
// page, so a test can exercise a PRP1 that does not start a page.
napi_value nvme_read(napi_env env, napi_callback_info info) {
  size_t argc = 4;
  napi_value argv[4];
  napi_get_cb_info(env, info, &argc, argv, NULL, NULL);
  nvme_handle* handle = argc >= 3 ? get_handle(env, argv[0]) : NULL;
  if (handle == NULL) {
    if (argc < 3) napi_throw_type_error(env, NULL, "nvmeRead(handle, lba, buffer[, dmaOffset])");
    return NULL;
  }
  int64_t lba = -1;
  uint32_t dma_offset = 0;
  void* data = NULL;
  size_t length = 0;
  bool is_buffer = false;
  napi_is_buffer(env, argv[2], &is_buffer);
  uint32_t lba_bytes = handle->ctrl.lba_bytes;
  if (napi_get_value_int64(env, argv[1], &lba) != napi_ok || lba < 0 || !is_buffer ||
      napi_get_buffer_info(env, argv[2], &data, &length) != napi_ok || length == 0 || length % lba_bytes != 0 ||
      (argc == 4 && (napi_get_value_uint32(env, argv[3], &dma_offset) != napi_ok || dma_offset % 4 != 0 || dma_offset >= 4096))) {
    napi_throw_type_error(env, "NT_E_BAD_REQUEST", "nvmeRead(handle, lba, buffer[, dmaOffset]): lba ≥ 0, a Buffer of whole blocks, dmaOffset a multiple of 4 below 4096");
    return NULL;
  }
  if (handle->dp_active) {
    napi_throw_error(env, "NT_E_BUSY", "the data plane owns the I/O queue; close it first");
    return NULL;
  }
  size_t chunk_max = (BOUNCE_BYTES - 4096) / lba_bytes * lba_bytes;
  for (size_t done = 0; done < length;) {
    size_t chunk = length - done < chunk_max ? length - done : chunk_max;
    nt_fail fail = {0};
    if (nvme_controller_read(&handle->ctrl, (uint64_t)lba + done / lba_bytes, chunk / lba_bytes, &handle->bounce, dma_offset, &fail) != 0) {
      return throw_fail(env, &fail);
    }
    memcpy((uint8_t*)data + done, handle->bounce.va + dma_offset, chunk);
    done += chunk;
  }
  return NULL;
}

// nvmeClose(handle): deletes the I/O queues, shuts the controller down, unmaps and closes VFIO. Idempotent.
napi_value nvme_close(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  napi_get_cb_info(env, info, &argc, argv, NULL, NULL);
  void* data = NULL;
  if (argc != 1 || napi_get_value_external(env, argv[0], &data) != napi_ok) {
    napi_throw_type_error(env, NULL, "nvmeClose(handle)");
    return NULL;
  }
  close_handle(data);
  return NULL;
}

static int get_u64(napi_env env, napi_value value, uint64_t* out) {
  double number = 0;
  if (napi_get_value_double(env, value, &number) != napi_ok || !(number >= 0) || number > 9007199254740991.0 || number != (double)(uint64_t)number) return 0;
  *out = (uint64_t)number;
  return 1;
}

// dataplaneOpen(handle, imageLba, imageBytes, slotCount, slotBytes, peerPid) -> {fd, slotsOffset, maxRequestBytes}.
// Starts the data-plane thread on the controller's I/O queue; fd is the sealed memfd (the caller passes it on and closes it).
napi_value dataplane_open(napi_env env, napi_callback_info info) {
  size_t argc = 6;
  napi_value argv[6];
  napi_get_cb_info(env, info, &argc, argv, NULL, NULL);
  nvme_handle* handle = argc == 6 ? get_handle(env, argv[0]) : NULL;
  if (handle == NULL) {
    if (argc != 6) napi_throw_type_error(env, "NT_E_BAD_REQUEST", "dataplaneOpen(handle, imageLba, imageBytes, slotCount, slotBytes, peerPid)");
    return NULL;
  }
  uint64_t lba = 0, bytes = 0, slots = 0, slot_bytes = 0, pid = 0;
  if (!get_u64(env, argv[1], &lba) || !get_u64(env, argv[2], &bytes) || !get_u64(env, argv[3], &slots) || !get_u64(env, argv[4], &slot_bytes) ||
      !get_u64(env, argv[5], &pid) || slots > 64 || pid == 0 || pid > 0x7fffffff) {
    napi_throw_type_error(env, "NT_E_BAD_REQUEST", "dataplaneOpen: non-negative integers, at most 64 slots, a pid");
    return NULL;
  }
  if (handle->dp_active && __atomic_load_n(&handle->dp.running, __ATOMIC_ACQUIRE)) {
    napi_throw_error(env, "NT_E_BUSY", "a data plane session is running on this controller");
    return NULL;
  }
  if (handle->dp_active) dataplane_stop(&handle->dp);  // one that ended on its own: clean it up first
  handle->dp_active = 0;
  dataplane_config config = {.image_lba = lba, .image_bytes = bytes, .slot_count = (uint32_t)slots, .slot_bytes = slot_bytes, .peer_pid = (int)pid};
  nt_fail fail = {0};
  int memfd = -1;
  if (dataplane_start(&handle->dp, &handle->ctrl, &config, &memfd, &fail) != 0) return throw_fail(env, &fail);
  handle->dp_active = 1;
  napi_value result;
  napi_create_object(env, &result);
  set_number(env, result, "fd", memfd);
  set_number(env, result, "slotsOffset", 4096);
  set_number(env, result, "maxRequestBytes", handle->dp.max_request_bytes);
  return result;
}

// dataplaneStatus(handle) -> {active, running, stopCode, requests, refused, bytesRead, failed, interrupts}.
napi_value dataplane_status(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  napi_get_cb_info(env, info, &argc, argv, NULL, NULL);
  nvme_handle* handle = argc == 1 ? get_handle(env, argv[0]) : NULL;
  if (handle == NULL) return NULL;
  dataplane* dp = &handle->dp;
  int running = handle->dp_active && __atomic_load_n(&dp->running, __ATOMIC_ACQUIRE);
  napi_value result, flag;
  napi_create_object(env, &result);
  napi_get_boolean(env, handle->dp_active, &flag);
  napi_set_named_property(env, result, "active", flag);
  napi_get_boolean(env, running, &flag);
  napi_set_named_property(env, result, "running", flag);
  set_number(env, result, "stopCode", running ? 0 : dp->stop_code);
  set_number(env, result, "requests", (double)__atomic_load_n(&dp->stats.requests, __ATOMIC_RELAXED));
  set_number(env, result, "refused", (double)__atomic_load_n(&dp->stats.refused, __ATOMIC_RELAXED));
  set_number(env, result, "bytesRead", (double)__atomic_load_n(&dp->stats.bytes_read, __ATOMIC_RELAXED));
  set_number(env, result, "interrupts", (double)__atomic_load_n(&dp->stats.interrupts, __ATOMIC_RELAXED));
  set_number(env, result, "failed", (double)__atomic_load_n(&dp->stats.failed, __ATOMIC_RELAXED));
  return result;
}

// dataplaneClose(handle): ends the session (in-flight commands waited out), unmaps its slots. Idempotent.
napi_value dataplane_close(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  napi_get_cb_info(env, info, &argc, argv, NULL, NULL);
  nvme_handle* handle = argc == 1 ? get_handle(env, argv[0]) : NULL;
  if (handle == NULL) return NULL;
  if (handle->dp_active) dataplane_stop(&handle->dp);
  handle->dp_active = 0;
  return NULL;
}
