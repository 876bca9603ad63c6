/**
 * Where nt-nvme-helper listens and its clients (ntd, ntctl) connect unless told otherwise:
 * $NT_HELPER_SOCKET, else /run/nt-nvme-helper/helper.sock (the path nt-nvme-helper.socket creates,
 * in a root-owned folder that group nt may only enter). Whatever the path, clients check that root
 * listens there before sending anything (HelperClient.connect).
 */
export function defaultHelperSocketPath(env: NodeJS.ProcessEnv = process.env): string {
  return env.NT_HELPER_SOCKET || "/run/nt-nvme-helper/helper.sock";
}
