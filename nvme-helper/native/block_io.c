// What O_DIRECT image I/O needs from C: buffers aligned to 4096 bytes (Node's are not; O_DIRECT
// wants the buffer address, offset and length aligned to the device's logical block size, at most
// 4096 on NVMe), and the geometry of a block device (ioctl BLKSSZGET, BLKGETSIZE64).
#define _GNU_SOURCE
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <linux/fs.h>
#include <node_api.h>

#include "helper_native.h"

#define ALIGNMENT 4096

static void free_aligned(napi_env env, void* data, void* hint) {
  (void)env;
  (void)hint;
  free(data);
}

// alignedBuffer(bytes) -> a zero-filled Buffer whose address is a multiple of 4096.
napi_value aligned_buffer(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  napi_get_cb_info(env, info, &argc, argv, NULL, NULL);
  uint32_t bytes = 0;
  if (argc != 1 || napi_get_value_uint32(env, argv[0], &bytes) != napi_ok || bytes == 0 || bytes % ALIGNMENT != 0 ||
      bytes > 64u * 1024 * 1024) {
    napi_throw_type_error(env, NULL, "alignedBuffer(bytes): a positive multiple of 4096, at most 64 MiB");
    return NULL;
  }
  void* memory = NULL;
  if (posix_memalign(&memory, ALIGNMENT, bytes) != 0) {
    napi_throw_error(env, "NT_E_OUT_OF_MEMORY", "posix_memalign");
    return NULL;
  }
  memset(memory, 0, bytes);
  napi_value buffer;
  if (napi_create_external_buffer(env, bytes, memory, free_aligned, NULL, &buffer) != napi_ok) {
    free(memory);
    napi_throw_error(env, "NT_E_OUT_OF_MEMORY", "napi_create_external_buffer");
    return NULL;
  }
  return buffer;
}

// blockDeviceGeometry(fd) -> {logicalBlockSize, sizeBytes}.
napi_value block_device_geometry(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  napi_get_cb_info(env, info, &argc, argv, NULL, NULL);
  int32_t fd = -1;
  if (argc != 1 || napi_get_value_int32(env, argv[0], &fd) != napi_ok || fd < 0) {
    napi_throw_type_error(env, NULL, "blockDeviceGeometry(fd): fd must be a non-negative integer");
    return NULL;
  }
  int logical = 0;
  uint64_t size = 0;
  if (ioctl(fd, BLKSSZGET, &logical) != 0) return throw_errno(env, "NT_E_IO", "ioctl(BLKSSZGET)", errno);
  if (ioctl(fd, BLKGETSIZE64, &size) != 0) return throw_errno(env, "NT_E_IO", "ioctl(BLKGETSIZE64)", errno);
  napi_value result, logical_value, size_value;
  napi_create_object(env, &result);
  napi_create_int32(env, logical, &logical_value);
  napi_create_double(env, (double)size, &size_value);
  napi_set_named_property(env, result, "logicalBlockSize", logical_value);
  napi_set_named_property(env, result, "sizeBytes", size_value);
  return result;
}
