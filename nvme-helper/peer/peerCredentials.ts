import { createRequire } from "node:module";
import path from "node:path";
import { fileURLToPath } from "node:url";
import type net from "node:net";
import { NtError } from "../../protocol/NtError.js";

/** Who is at the other end of a Unix socket, as the kernel recorded it at connect(). */
export interface PeerCredentials {
  pid: number;
  uid: number;
  gid: number;
}

interface PeerCredentialsAddon {
  peerCredentials(fd: number): PeerCredentials;
}

let addon: PeerCredentialsAddon | undefined;

/**
 * Loads the native SO_PEERCRED addon (nvme-helper/native, built by `npm run build:helper-native`)
 * or throws. Called at start so a helper without it refuses to run, rather than serve unchecked.
 */
export function loadPeerCredentialsAddon(): void {
  if (addon) return;
  const here = path.dirname(fileURLToPath(import.meta.url));
  const require = createRequire(import.meta.url);
  // From dist/nvme-helper/peer/ and from nvme-helper/peer/ (ts sources run directly) alike.
  const candidates = [path.resolve(here, "../../../nvme-helper/native/build/Release/nt_peer_credentials.node"),
    path.resolve(here, "../native/build/Release/nt_peer_credentials.node")];
  const errors: string[] = [];
  for (const candidate of candidates) {
    try {
      addon = require(candidate) as PeerCredentialsAddon;
      return;
    } catch (err) {
      errors.push(`${candidate}: ${(err as Error).message}`);
    }
  }
  throw new NtError("NT_E_INTERNAL", `the SO_PEERCRED addon is not built (npm run build:helper-native); ` +
    `the helper does not run without peer authentication. Tried ${errors.join("; ")}`);
}

/**
 * The peer's credentials of a connected Unix socket (SO_PEERCRED). Node exposes the descriptor only
 * as the private `_handle.fd` of a Pipe handle (Linux); if that ever disappears this throws, and
 * the connection is refused — never served unchecked.
 */
export function peerCredentials(socket: net.Socket): PeerCredentials {
  if (!addon) throw new NtError("NT_E_INTERNAL", "loadPeerCredentialsAddon() was not called");
  const fd = (socket as unknown as { _handle?: { fd?: unknown } })._handle?.fd;
  if (typeof fd !== "number" || fd < 0) throw new NtError("NT_E_INTERNAL", "cannot find the socket's file descriptor for SO_PEERCRED");
  return addon.peerCredentials(fd);
}
