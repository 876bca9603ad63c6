import { readFileSync } from "node:fs";
import path from "node:path";

/** Which block devices are in use by the system, from /proc. */
export interface BlockUsage {
  /** "major:minor" of every mounted block device (/proc/self/mountinfo, field 3). */
  mounted: ReadonlySet<string>;
  /** Base names of block devices used as swap (/proc/swaps, first column). */
  swap: ReadonlySet<string>;
}

/**
 * Reads mounts and swaps under `procRoot` (/proc, or a fake in tests). A file that cannot be read
 * throws: the helper must not conclude "not mounted" from a read it could not do.
 */
export function readBlockUsage(procRoot: string): BlockUsage {
  const mounted = new Set<string>();
  for (const line of readFileSync(path.join(procRoot, "self", "mountinfo"), "utf8").split("\n")) {
    const devNumber = line.split(" ")[2];
    if (devNumber) mounted.add(devNumber);
  }
  const swap = new Set<string>();
  for (const line of readFileSync(path.join(procRoot, "swaps"), "utf8").split("\n").slice(1)) {
    const device = line.split(/\s+/)[0];
    if (device) swap.add(path.basename(device));
  }
  return { mounted, swap };
}
