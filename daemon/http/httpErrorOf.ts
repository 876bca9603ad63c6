import type { NtErrorCode } from "../../protocol/errorCodes.js";
import { NtError } from "../../protocol/NtError.js";

/** An error as OpenAI's API answers it: the HTTP status and the body. */
export interface HttpError {
  status: number;
  body: { error: { message: string; type: string; code: NtErrorCode } };
}

/**
 * Every error code's HTTP status and OpenAI error type: the one place they are decided. Client
 * mistakes are 4xx; a full queue or a daemon that cannot serve now (stopping, no engine, no
 * device, memory short) is 503, which OpenAI clients retry with backoff; our bugs are 500.
 */
const HTTP_ERRORS: Record<NtErrorCode, { status: number; type: string }> = {
  NT_E_BAD_REQUEST: { status: 400, type: "invalid_request_error" },
  NT_E_BAD_FRAME: { status: 400, type: "invalid_request_error" },
  NT_E_FRAME_TOO_LARGE: { status: 413, type: "invalid_request_error" },
  NT_E_PROTOCOL_VERSION: { status: 400, type: "invalid_request_error" },
  NT_E_UNKNOWN_VERB: { status: 404, type: "invalid_request_error" },
  NT_E_NOT_FOUND: { status: 404, type: "invalid_request_error" },
  NT_E_MODEL_NOT_FOUND: { status: 404, type: "invalid_request_error" },
  NT_E_BUSY: { status: 503, type: "server_error" },
  // The model was unloaded or the daemon is stopping under the request (a client that left gets
  // no answer at all).
  NT_E_CANCELLED: { status: 503, type: "server_error" },
  NT_E_DAEMON_UNREACHABLE: { status: 503, type: "server_error" },
  NT_E_BAD_GGUF: { status: 500, type: "server_error" },
  // A feature the model or build lacks (chat without a chat template): the client should ask differently.
  NT_E_UNSUPPORTED: { status: 400, type: "invalid_request_error" },
  NT_E_IO: { status: 500, type: "server_error" },
  NT_E_ENGINE_UNAVAILABLE: { status: 503, type: "server_error" },
  NT_E_NO_DEVICE: { status: 503, type: "server_error" },
  NT_E_OUT_OF_MEMORY: { status: 503, type: "server_error" },
  NT_E_INTERNAL: { status: 500, type: "server_error" },
  // nt-nvme-helper's codes: they reach HTTP only through a daemon-side failure (a placement the
  // helper refused), which the HTTP client cannot fix.
  NT_E_PEER_NOT_ALLOWED: { status: 500, type: "server_error" },
  NT_E_DEVICE_NOT_ALLOWED: { status: 500, type: "server_error" },
  NT_E_IDENTITY_MISMATCH: { status: 500, type: "server_error" },
  NT_E_DEVICE_BUSY: { status: 503, type: "server_error" },
  NT_E_FOREIGN_SIGNATURE: { status: 500, type: "server_error" },
  NT_E_IMAGE_TOO_LARGE: { status: 500, type: "server_error" },
  NT_E_BAD_FD: { status: 500, type: "server_error" },
  NT_E_NO_IOMMU: { status: 500, type: "server_error" },
  NT_E_IOMMU_GROUP_SHARED: { status: 500, type: "server_error" },
  // ntd's helper client found helper.sock served by a non-root process (an impostor): an admin's problem.
  NT_E_HELPER_NOT_ROOT: { status: 500, type: "server_error" },
  NT_E_TIMEOUT: { status: 503, type: "server_error" },
  // As OpenAI answers a missing or wrong key (401, invalid_request_error); the client must fix its key.
  NT_E_UNAUTHORIZED: { status: 401, type: "invalid_request_error" },
  // A Host or Origin this server does not answer (a web page's): no key makes it acceptable.
  NT_E_FORBIDDEN: { status: 403, type: "invalid_request_error" },
};

/**
 * Anything thrown, as an HTTP error in OpenAI's shape; `code` is our stable NT_E_* code, unchanged
 * (DESIGN §5). `status` overrides the table where HTTP is more precise than our codes (405, 415).
 */
export function httpErrorOf(err: unknown, status?: number): HttpError {
  const error = NtError.from(err);
  const mapped = HTTP_ERRORS[error.code];
  return {
    status: status ?? mapped.status,
    body: { error: { message: error.message, type: mapped.type, code: error.code } },
  };
}
