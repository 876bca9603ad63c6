# helper.sock's transport, for what Node cannot do (DESIGN §5): SOCK_SEQPACKET Unix sockets with
# file descriptors passed as SCM_RIGHTS (libuv reads Unix sockets with read(), which drops them),
# driven from the event loop by a libuv poll handle. The helper and its clients (ntd, ntctl) alike
# load it through ../seqpacketAddon.ts; the helper's privileged primitives are nvme-helper/native.
{
  "targets": [{
    "target_name": "nt_seqpacket",
    "sources": ["module.c", "seqpacket.c", "poller.c"],
    "cflags": ["-Wall", "-Wextra", "-Werror"]
  }]
}
