import { NtError } from "../../protocol/NtError.js";
import { readBlockUsage } from "../proc/readBlockUsage.js";
import type { PciDeviceFacts } from "../sysfs/SysfsTree.js";

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
