import { NtError } from "../../protocol/NtError.js";
import type { NvmeIdentity } from "../../protocol/helper/helperDeviceStatusSchema.js";
import type { AllowedDevice, HelperConfig } from "../config/helperConfigSchema.js";
import type { PciDeviceFacts, SysfsTree } from "../sysfs/SysfsTree.js";

/** PCI class code of an NVMe controller (mass storage, non-volatile memory, NVMe interface). */
export const NVME_CLASS = "0x010802";

/** A device that passed the allowlist and identity checks just now. */
export interface CheckedDevice {
  allowed: AllowedDevice;
  facts: PciDeviceFacts;
  /** vendor:device, recorded in the journal so the device can be recognised while off nvme. */
  pciId: string;
  identity: NvmeIdentity;
}

/**
 * Allowlist + identity, read now. On nvme the serial/EUI/NGUID are compared with the allowlist;
 * off nvme sysfs cannot show them, so the device must be the one last verified on nvme at this
 * address (same vendor:device), or nothing may be done but restore. A device verified on nvme is
 * recorded in `lastVerified` (by PCI address).
 */
export function checkDevice(bdf: string, config: HelperConfig, sysfs: SysfsTree,
  lastVerified: Map<string, { pciId: string; identity: NvmeIdentity }>): CheckedDevice {
  const allowed = allowlistEntryOf(config, bdf);
  const facts = sysfs.readDevice(bdf);
  if (!facts) throw new NtError("NT_E_NOT_FOUND", `no PCI device at ${bdf}`);
  const pciId = `${facts.vendor}:${facts.device}`;
  if (facts.classCode !== NVME_CLASS) {
    throw new NtError("NT_E_IDENTITY_MISMATCH", `${bdf} has PCI class ${facts.classCode}, not an NVMe controller (${NVME_CLASS})`);
  }
  if (facts.driver === "nvme") {
    const why = identityMismatch(allowed, facts.identity);
    if (why) throw new NtError("NT_E_IDENTITY_MISMATCH", `the device at ${bdf} is not the allowlisted one: ${why}`);
    lastVerified.set(bdf, { pciId, identity: facts.identity });
    return { allowed, facts, pciId, identity: facts.identity };
  }
  const last = lastVerified.get(bdf);
  if (last && last.pciId !== pciId) {
    throw new NtError("NT_E_IDENTITY_MISMATCH", `the device at ${bdf} is ${pciId}, but ${last.pciId} was verified there`);
  }
  return { allowed, facts, pciId, identity: last?.identity ?? {} };
}

/** The allowlist entry of `bdf`, or NT_E_DEVICE_NOT_ALLOWED. */
export function allowlistEntryOf(config: HelperConfig, bdf: string): AllowedDevice {
  const allowed = config.devices.find((device) => device.bdf === bdf);
  if (!allowed) throw new NtError("NT_E_DEVICE_NOT_ALLOWED", `${bdf} is not in the helper's device allowlist`);
  return allowed;
}

/**
 * Why `seen` is not the allowlisted device, or undefined when it is: every identity field the
 * allowlist entry names must be present and equal. A field sysfs did not show counts as a
 * mismatch — "could not check" is never "checked".
 */
export function identityMismatch(allowed: AllowedDevice, seen: NvmeIdentity): string | undefined {
  for (const field of ["serial", "eui64", "nguid"] as const) {
    const want = allowed[field];
    if (want === undefined) continue;
    const got = seen[field];
    if (got !== want) {
      return `${field} is ${got === undefined ? "unreadable" : JSON.stringify(got)}, the allowlist says ${JSON.stringify(want)}`;
    }
  }
  return undefined;
}
