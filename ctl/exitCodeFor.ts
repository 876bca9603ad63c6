import type { NtErrorCode } from "../protocol/errorCodes.js";

/**
 * ntctl's exit status for each error code, so scripts can branch without parsing messages:
 *
 *   0  success
 *   1  internal error, engine or device problem, cancelled (nothing the caller can fix by retrying differently)
 *   2  bad usage or a request the daemon refused as malformed (fix the command line, or ntctl/ntd versions)
 *   3  daemon unreachable (start it: `ntd --socket PATH`, or check --socket)
 *   4  not found (a model, or a request id)
 *   5  busy, or a connection closed for idling (retry later)
 *   6  bad or unsupported GGUF file, an image too large for its area, or an I/O error
 *   7  refused by policy: nt-nvme-helper's (peer, allowlist, device identity, IOMMU, foreign data), a missing or wrong
 *      HTTP API key, a Host or Origin the HTTP API refuses, or ntctl's own (helper.sock served by a process that is not root)
 *
 * A Record, so a code added to errorCodes.ts without an exit status here does not compile.
 */
const EXIT_CODES: Record<NtErrorCode, number> = {
  NT_E_INTERNAL: 1,
  NT_E_ENGINE_UNAVAILABLE: 1,
  NT_E_NO_DEVICE: 1,
  NT_E_OUT_OF_MEMORY: 1,
  NT_E_CANCELLED: 1,
  NT_E_BAD_REQUEST: 2,
  NT_E_BAD_FRAME: 2,
  NT_E_FRAME_TOO_LARGE: 2,
  NT_E_PROTOCOL_VERSION: 2,
  NT_E_UNKNOWN_VERB: 2,
  NT_E_DAEMON_UNREACHABLE: 3,
  NT_E_NOT_FOUND: 4,
  NT_E_MODEL_NOT_FOUND: 4,
  NT_E_BUSY: 5,
  NT_E_BAD_GGUF: 6,
  NT_E_UNSUPPORTED: 6,
  NT_E_IO: 6,
  NT_E_IMAGE_TOO_LARGE: 6,
  NT_E_BAD_FD: 2,
  NT_E_DEVICE_BUSY: 5,
  NT_E_PEER_NOT_ALLOWED: 7,
  NT_E_DEVICE_NOT_ALLOWED: 7,
  NT_E_IDENTITY_MISMATCH: 7,
  NT_E_FOREIGN_SIGNATURE: 7,
  NT_E_NO_IOMMU: 7,
  NT_E_IOMMU_GROUP_SHARED: 7,
  NT_E_UNAUTHORIZED: 7,
  NT_E_FORBIDDEN: 7,
  NT_E_HELPER_NOT_ROOT: 7,
  NT_E_TIMEOUT: 5,
};

/** The exit status ntctl ends with after an error of this code (table above). */
export function exitCodeFor(code: NtErrorCode): number {
  return EXIT_CODES[code];
}
