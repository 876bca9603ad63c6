import { NtError } from "../protocol/NtError.js";

/**
 * The error for a daemon that cannot be reached (or was lost): names the socket and, when nothing
 * listens there, says how to start one.
 */
export function unreachableError(socketPath: string, err: NodeJS.ErrnoException): NtError {
  const options = { cause: err };
  switch (err.code) {
    case "ENOENT":
    case "ECONNREFUSED":
      return new NtError("NT_E_DAEMON_UNREACHABLE",
        `no daemon is listening at ${socketPath} (${err.code}); start one with "ntd --socket ${socketPath}"`, options);
    case "EACCES":
      return new NtError("NT_E_DAEMON_UNREACHABLE",
        `permission denied on ${socketPath}; ask to be added to the daemon's group`, options);
    default:
      return new NtError("NT_E_DAEMON_UNREACHABLE", `cannot talk to the daemon at ${socketPath}: ${err.message}`, options);
  }
}
