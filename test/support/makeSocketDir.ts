import { mkdtemp, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";

/**
 * A fresh temporary folder for a test's sockets, and its removal. Kept short (os.tmpdir()), as a
 * Unix socket path must fit in 108 bytes.
 */
export async function makeSocketDir(): Promise<{ dir: string; socketPath: string; remove: () => Promise<void> }> {
  const dir = await mkdtemp(path.join(os.tmpdir(), "ntd-"));
  return { dir, socketPath: path.join(dir, "ntd.sock"), remove: () => rm(dir, { recursive: true, force: true }) };
}
