import { statSync } from "node:fs";

/**
 * "major:minor" of the block device `file` is or links to (as sysfs's dev attribute spells it),
 * or undefined when there is none: no such file, a dangling link, or not a block device.
 */
export function blockDevNumberOf(file: string): string | undefined {
  let rdev: bigint;
  try {
    const stats = statSync(file, { bigint: true });
    if (!stats.isBlockDevice()) return undefined;
    rdev = stats.rdev;
  } catch {
    return undefined;
  }
  // glibc's major()/minor() (sys/sysmacros.h).
  const major = ((rdev >> 8n) & 0xfffn) | ((rdev >> 32n) & ~0xfffn);
  const minor = (rdev & 0xffn) | ((rdev >> 12n) & ~0xffn);
  return `${major}:${minor}`;
}
