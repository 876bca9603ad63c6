import { closeSync, constants } from "node:fs";
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
