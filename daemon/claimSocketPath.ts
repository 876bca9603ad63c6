import { lstat, mkdir, rm } from "node:fs/promises";
import net from "node:net";
import path from "node:path";
import { NtError } from "../protocol/NtError.js";

/**
 * Makes `socketPath` free for this daemon to listen on: creates its folder if missing; removes a
 * stale socket left by a daemon that died without cleaning up (nobody accepts on it); refuses when
 * a live daemon answers there (NT_E_BUSY) or the path is something other than a socket (NT_E_IO).
 */
export async function claimSocketPath(socketPath: string): Promise<void> {
  // 0750: group members may reach the socket (its own mode is 0660); others may not list the folder.
  await mkdir(path.dirname(socketPath), { recursive: true, mode: 0o750 });
  const stat = await lstat(socketPath).catch((err: NodeJS.ErrnoException) => {
    if (err.code === "ENOENT") return undefined;
    throw err;
  });
  if (!stat) return;
  if (!stat.isSocket()) {
    throw new NtError("NT_E_IO", `${socketPath} exists and is not a socket; refusing to replace it`);
  }
  if (await isAccepting(socketPath)) {
    throw new NtError("NT_E_BUSY", `another daemon is already listening on ${socketPath}; stop it first`);
  }
  await rm(socketPath, { force: true });
}

/** Whether something accepts connections on the socket; ECONNREFUSED is the kernel's word for "stale". */
function isAccepting(socketPath: string): Promise<boolean> {
  return new Promise((resolve, reject) => {
    const probe = net.createConnection(socketPath);
    probe.once("connect", () => {
      probe.destroy();
      resolve(true);
    });
    probe.once("error", (err: NodeJS.ErrnoException) => {
      if (err.code === "ECONNREFUSED" || err.code === "ENOENT") resolve(false);
      else reject(new NtError("NT_E_IO", `cannot tell whether ${socketPath} is in use: ${err.message}`, { cause: err }));
    });
  });
}
