import { closeSync, constants, fstatSync, lstatSync, openSync, type Stats } from "node:fs";
import { NtError } from "../../protocol/NtError.js";

/**
 * Opens `devicePath`, the block device node of a namespace, with `flags` (O_NOFOLLOW is added),
 * after checking that it is a block device — not a symlink — whose major:minor is `devNumber`,
 * the number sysfs shows for the allowlisted namespace; the check is repeated on the fd itself.
 * A symlink or a character device is refused before it is opened (O_DIRECT is EINVAL on some,
 * others have side effects on open). With O_EXCL, the kernel's EBUSY — the device is mounted in
 * any mount namespace, used as swap, claimed by dm/md/bcache, or opened O_EXCL by someone else —
 * becomes NT_E_DEVICE_BUSY. Returns the fd, the caller's to close.
 */
export function openNamespaceNode(devicePath: string, devNumber: string, flags: number): number {
  let node: Stats;
  try {
    node = lstatSync(devicePath);
  } catch (err) {
    throw new NtError("NT_E_IO", `no block device node ${devicePath}: ${(err as Error).message}`, { cause: err });
  }
  checkNode(node, devicePath, devNumber);
  let fd: number;
  try {
    fd = openSync(devicePath, flags | constants.O_NOFOLLOW);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === "EBUSY" && (flags & constants.O_EXCL) !== 0) {
      throw new NtError("NT_E_DEVICE_BUSY", `${devicePath} is in use (mounted — in this or any other mount namespace —, swap, ` +
        "claimed by dm/md, or open exclusively): the kernel refused an exclusive open");
    }
    throw new NtError("NT_E_IO", `cannot open ${devicePath}: ${(err as Error).message}`, { cause: err });
  }
  try {
    checkNode(fstatSync(fd), devicePath, devNumber);
  } catch (err) {
    closeSync(fd);
    throw err;
  }
  return fd;
}

/** The node must be the namespace's block device: a block device (not a symlink) with sysfs's major:minor. */
function checkNode(stats: Stats, devicePath: string, devNumber: string): void {
  const seen = `${devMajor(stats.rdev)}:${devMinor(stats.rdev)}`;
  if (!stats.isBlockDevice() || seen !== devNumber) {
    throw new NtError("NT_E_IDENTITY_MISMATCH", `${devicePath} is ${stats.isBlockDevice() ? `block device ${seen}` :
      stats.isSymbolicLink() ? "a symlink" : "not a block device"}; sysfs says the namespace is block device ${devNumber}`);
  }
}

/** glibc's major()/minor() of a dev_t (sys/sysmacros.h). */
function devMajor(dev: number): number {
  return Number(((BigInt(dev) >> 8n) & 0xfffn) | ((BigInt(dev) >> 32n) & ~0xfffn));
}

function devMinor(dev: number): number {
  return Number((BigInt(dev) & 0xffn) | ((BigInt(dev) >> 12n) & ~0xffn));
}
