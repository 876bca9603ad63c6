/**
 * Where ntd listens and ntctl connects unless told otherwise: $NT_SOCKET, else /run/ntd/ntd.sock
 * (the RuntimeDirectory systemd creates for the ntd unit).
 */
export function defaultSocketPath(env: NodeJS.ProcessEnv = process.env): string {
  return env.NT_SOCKET || "/run/ntd/ntd.sock";
}
