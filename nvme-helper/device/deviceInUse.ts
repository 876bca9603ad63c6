// Whether anything uses a device's namespaces, asked two ways: the kernel, by exclusive opens
// (claimNamespaces: covers every mount namespace), and the helper's /proc (refuseIfInUse: holders,
// mounts, swap). bind asks both, holding the claim through its unbind; place asks /proc, then opens
// its image area O_EXCL.
import { closeSync, constants, readFileSync } from "node:fs";
import path from "node:path";
import { NtError } from "../../protocol/NtError.js";
import type { PciDeviceFacts } from "../sysfs/SysfsTree.js";
import { openNamespaceNode } from "./openNamespaceNode.js";

/** Exclusive opens of a device's namespaces; release() closes them (once; later calls do nothing). */
export interface NamespaceClaim {
  release(): void;
}

/**
 * Opens every namespace of the device (`<devRoot>/<name>`, checked against sysfs's number) with
 * O_EXCL, which the kernel refuses (NT_E_DEVICE_BUSY) while anything holds it: a mount in *any*
 * mount namespace — the helper runs in its own, so its /proc/self/mountinfo cannot show them all —,
 * swap, dm/md, or another exclusive open. A claim of the whole namespace also covers its
 * partitions: the kernel refuses it while a partition is claimed, and a partition's claim while
 * the whole is. Held across the in-use check and the unbind, nothing can claim the disk between
 * them. A namespace without a device number or node in sysfs / devRoot cannot be checked, and so
 * is refused too (NT_E_IO).
 */
export function claimNamespaces(bdf: string, facts: PciDeviceFacts, devRoot: string): NamespaceClaim {
  const fds: number[] = [];
  const release = () => {
    for (const fd of fds.splice(0)) closeSync(fd);
  };
  try {
    for (const namespace of facts.namespaces) {
      if (namespace.devNumber === undefined) {
        throw new NtError("NT_E_IO", `${namespace.name} of ${bdf} shows no block device number in sysfs, so the helper cannot check that nothing uses it`);
      }
      fds.push(openNamespaceNode(path.join(devRoot, namespace.name), namespace.devNumber, constants.O_RDONLY | constants.O_EXCL));
    }
  } catch (err) {
    release();
    throw err;
  }
  return { release };
}

/**
 * NT_E_DEVICE_BUSY when a namespace of the device is held (dm/md/LVM), or it or a partition of it
 * is mounted or used as swap (read from `procRoot`, now). Checked before bind and place.
 */
export function refuseIfInUse(bdf: string, facts: PciDeviceFacts, procRoot: string): void {
  const usage = readBlockUsage(procRoot);
  for (const namespace of facts.namespaces) {
    if (namespace.holders.length > 0) {
      throw new NtError("NT_E_DEVICE_BUSY", `${namespace.name} of ${bdf} is held by ${namespace.holders.join(", ")} (dm/md/LVM)`);
    }
    if (namespace.devNumbers.some((dev) => usage.mounted.has(dev))) {
      throw new NtError("NT_E_DEVICE_BUSY", `${namespace.name} of ${bdf} (or a partition of it) is mounted`);
    }
    if ([...usage.swap].some((name) => name === namespace.name || name.startsWith(`${namespace.name}p`))) {
      throw new NtError("NT_E_DEVICE_BUSY", `${namespace.name} of ${bdf} (or a partition of it) is used as swap`);
    }
  }
}

/** Which block devices are in use by the system, from /proc. */
interface BlockUsage {
  /** "major:minor" of every mounted block device (/proc/self/mountinfo, field 3). */
  mounted: ReadonlySet<string>;
  /** Base names of block devices used as swap (/proc/swaps, first column). */
  swap: ReadonlySet<string>;
}

/**
 * Reads mounts and swaps under `procRoot` (/proc, or a fake in tests). A file that cannot be read
 * throws: the helper must not conclude "not mounted" from a read it could not do.
 */
function readBlockUsage(procRoot: string): BlockUsage {
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
