# The helper's only native code: getsockopt(SO_PEERCRED) on a connected Unix socket. Node has no
# API for a peer's credentials, and the helper's whole authorisation rests on them (DESIGN §1).
{
  "targets": [{
    "target_name": "nt_peer_credentials",
    "sources": ["peer_credentials.c"],
    "cflags": ["-Wall", "-Wextra", "-Werror"]
  }]
}
