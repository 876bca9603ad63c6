/**
 * Where nt-nvme-helper listens and its clients (ntd, ntctl) connect unless told otherwise:
 * $NT_HELPER_SOCKET, else /run/ntd/helper.sock (the path nt-nvme-helper.socket creates).
 */
export function defaultHelperSocketPath(env: NodeJS.ProcessEnv = process.env): string {
  return env.NT_HELPER_SOCKET || "/run/ntd/helper.sock";
}
