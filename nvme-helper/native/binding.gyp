# The helper's own native code, for what Node cannot do (DESIGN §1): getsockopt(SO_PEERCRED) on a
# connected Unix socket, on which the helper's whole authorisation rests; 4096-byte aligned buffers
# and block device geometry for the O_DIRECT image writes; the user-space NVMe driver over VFIO
# (vfio_device.c, nvme_queue.c, nvme_controller.c) and its data-plane thread (dataplane.c); nvme_addon.c is
# their JavaScript face. Loaded by helperNativeAddon.ts. The
# helper.sock transport (SOCK_SEQPACKET, SCM_RIGHTS) is protocol's: protocol/helper/seqpacket/native.
{
  "targets": [{
    "target_name": "nt_helper_native",
    "sources": ["module.c", "peer_credentials.c", "block_io.c", "vfio_device.c", "nvme_queue.c", "nvme_controller.c", "dataplane.c", "nvme_addon.c"],
    "cflags": ["-Wall", "-Wextra", "-Werror", "-pthread"]
  }]
}
