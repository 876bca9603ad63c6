import type { HelperDeviceStatus } from "../../protocol/helper/helperDeviceStatusSchema.js";
import type { AllowedDevice } from "../config/helperConfigSchema.js";
import { identityMismatch } from "../identity/identityMismatch.js";
import { readImageStatus } from "../image/readImageStatus.js";
import type { SysfsTree } from "../sysfs/SysfsTree.js";
import { NVME_CLASS } from "./checkDevice.js";

/**
 * An allowlisted device as it is now, for every verb's answer (never refused for a mismatch: it
 * reports it). `lastVerified` holds the PCI addresses of devices verified on nvme; `devRoot` is
 * where their block device nodes are, for the image header.
 */
export function describeDevice(allowed: AllowedDevice, sysfs: SysfsTree, lastVerified: ReadonlyMap<string, unknown>,
  devRoot: string): HelperDeviceStatus {
  const facts = sysfs.readDevice(allowed.bdf);
  const onNvme = facts?.driver === "nvme";
  const image = facts && identityMismatch(allowed, facts.identity) === undefined ? readImageStatus(allowed, facts, devRoot) : undefined;
  return {
    bdf: allowed.bdf,
    driver: facts?.driver ?? null,
    iommuGroup: facts?.iommuGroup ?? null,
    identity: facts?.identity ?? {},
    identityMatches: facts !== undefined && facts.classCode === NVME_CLASS &&
      (onNvme ? identityMismatch(allowed, facts.identity) === undefined : lastVerified.has(allowed.bdf)),
    blockDevices: facts?.namespaces.map((namespace) => namespace.name) ?? [],
    holders: facts?.namespaces.flatMap((namespace) => namespace.holders) ?? [],
    imageArea: allowed.imageArea,
    ...(image === undefined ? {} : { image }),
  };
}
