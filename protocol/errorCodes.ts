/**
 * The stable error codes. They travel unchanged over the sockets, become ntctl exit codes (and
 * later HTTP statuses), and tests assert on them — so a code is never renamed or reused; add new
 * ones at the end.
 */
export const NT_ERROR_CODES = [
  /** A well-formed frame whose message is invalid: unknown kind or field, wrong type, no hello first. */
  "NT_E_BAD_REQUEST",
  /** Bytes that are not a frame: zero length, or a body that is not one msgpack value. */
  "NT_E_BAD_FRAME",
  /** A frame whose declared length is above MAX_FRAME_BYTES; refused before it is buffered. */
  "NT_E_FRAME_TOO_LARGE",
  /** The client's hello names a protocol version this server does not speak. */
  "NT_E_PROTOCOL_VERSION",
  /** A request names a verb this server does not know. */
  "NT_E_UNKNOWN_VERB",
  /** A thing named by id does not exist (a cancel for a request that is not in flight). */
  "NT_E_NOT_FOUND",
  /** A request names a model that is neither loaded nor known to the daemon. */
  "NT_E_MODEL_NOT_FOUND",
  /** The daemon's queue (or the thing asked for) is full or in use; try again later. */
  "NT_E_BUSY",
  /** The request was cancelled before it finished. */
  "NT_E_CANCELLED",
  /** The client could not reach a daemon on its socket, or the daemon went away mid-request. */
  "NT_E_DAEMON_UNREACHABLE",
  /** A GGUF file is malformed: bad magic, truncated, out-of-bounds offsets. */
  "NT_E_BAD_GGUF",
  /** Valid input this build does not support (a tensor type, an architecture, a feature). */
  "NT_E_UNSUPPORTED",
  /** An operating-system I/O call failed (open, read, permissions). */
  "NT_E_IO",
  /** The native engine addon could not be loaded (not built, or built for another Node ABI). */
  "NT_E_ENGINE_UNAVAILABLE",
  /** No compute device can run the request (no CUDA device, or the requested one is absent). */
  "NT_E_NO_DEVICE",
  /** Device, pinned or host memory ran out. */
  "NT_E_OUT_OF_MEMORY",
  /** A bug: anything not covered above. The message says what happened. */
  "NT_E_INTERNAL",
  /** nt-nvme-helper: the peer's uid/gid (SO_PEERCRED) is not in the helper's configuration. */
  "NT_E_PEER_NOT_ALLOWED",
  /** nt-nvme-helper: the PCI address is not in the helper's device allowlist. */
  "NT_E_DEVICE_NOT_ALLOWED",
  /** nt-nvme-helper: the device at an allowlisted PCI address is not the one allowlisted (serial/EUI64/NGUID differ). */
  "NT_E_IDENTITY_MISMATCH",
  /** nt-nvme-helper: the device is in use (mounted, held by dm/md/LVM, swap, or open through VFIO). */
  "NT_E_DEVICE_BUSY",
  /** nt-nvme-helper: the image area holds data that is not one of our images (a filesystem, a partition table). */
  "NT_E_FOREIGN_SIGNATURE",
  /** nt-nvme-helper: the GGUF is larger than the device's configured image area. */
  "NT_E_IMAGE_TOO_LARGE",
  /** nt-nvme-helper: a passed file descriptor is missing, or not a readable regular file. */
  "NT_E_BAD_FD",
  /** nt-nvme-helper: the device has no IOMMU group (IOMMU off), so VFIO would be unsafe; never no-IOMMU mode. */
  "NT_E_NO_IOMMU",
  /** nt-nvme-helper: another device in the IOMMU group is bound to a driver, so the group cannot go to VFIO. */
  "NT_E_IOMMU_GROUP_SHARED",
  /** ntd's HTTP API: the request lacks the configured API key (`Authorization: Bearer <key>`), or gives another. */
  "NT_E_UNAUTHORIZED",
  /**
   * ntd's HTTP API: the request's Host or Origin is not this server's (a web page's, or a name
   * re-pointed at loopback: DNS rebinding); httpAllowedHosts / httpAllowedOrigins admit others.
   */
  "NT_E_FORBIDDEN",
  /**
   * A helper client (ntctl, ntd): the process listening on helper.sock is not root (SO_PEERCRED), so
   * it is not nt-nvme-helper; nothing was sent to it. The message names the socket and the uid found.
   */
  "NT_E_HELPER_NOT_ROOT",
  /** A connection stayed idle past the server's limit (nt-nvme-helper's limits.idleTimeoutMs) and was closed. */
  "NT_E_TIMEOUT",
] as const;

/** One of the stable error codes. */
export type NtErrorCode = (typeof NT_ERROR_CODES)[number];
