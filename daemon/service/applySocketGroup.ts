import { readFile, chown } from "node:fs/promises";
import type { Logger } from "winston";

/**
 * Gives the socket file the configured group, so its members may connect (its mode is 0660).
 * Under systemd with Group=nt this is already so (a new file takes the creator's group). A group
 * that does not exist, or that this process may not give (chown(2) needs root or membership), is
 * a warning, not a failure: a developer running ntd in the foreground has no `nt` group. The
 * group is looked up in /etc/group, which systemd-sysusers writes (systemd/sysusers.d/ntd.conf).
 */
export async function applySocketGroup(socketPath: string, group: string, logger: Logger): Promise<void> {
  if (group === "") return;
  const gid = await groupId(group);
  if (gid === undefined) {
    logger.warn(`socket group ${group} does not exist; ${socketPath} keeps the daemon's group `
      + "(create it with systemd-sysusers, see systemd/, or set socketGroup to \"\")");
    return;
  }
  if (gid === process.getegid?.()) return;
  try {
    await chown(socketPath, -1, gid);
  } catch (err) {
    logger.warn(`cannot give ${socketPath} the group ${group}: ${(err as Error).message}`);
  }
}

async function groupId(name: string): Promise<number | undefined> {
  const text = await readFile("/etc/group", "utf8").catch(() => "");
  for (const line of text.split("\n")) {
    const [groupName, , gid] = line.split(":");
    if (groupName === name && gid !== undefined && /^\d+$/.test(gid)) return Number(gid);
  }
  return undefined;
}
