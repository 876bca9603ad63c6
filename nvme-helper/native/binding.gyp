# The helper's only native code, for what Node cannot do (DESIGN §1): getsockopt(SO_PEERCRED) on a
# connected Unix socket, on which the helper's whole authorisation rests; SOCK_SEQPACKET sockets with
# file descriptors passed as SCM_RIGHTS (libuv reads Unix sockets with read(), which drops them);
# 4096-byte aligned buffers and block device geometry for the O_DIRECT image writes.
{
  "targets": [{
    "target_name": "nt_helper_socket",
    "sources": ["module.c", "peer_credentials.c", "seqpacket.c", "poller.c", "block_io.c"],
    "cflags": ["-Wall", "-Wextra", "-Werror"]
  }]
}
