import path from "node:path";
import { NtError } from "../../protocol/NtError.js";
import type { AllowedDevice } from "../config/helperConfigSchema.js";
import type { PciDeviceFacts } from "../sysfs/SysfsTree.js";
import type { ImageAreaLocation } from "./ImageArea.js";

/**
 * The block device node (under `devRoot`) of the device's first namespace and its image area;
 * NT_E_DEVICE_BUSY when the device is off nvme and so has no block device.
 */
export function locateImageArea(allowed: AllowedDevice, facts: PciDeviceFacts, devRoot: string): ImageAreaLocation {
  const namespace = facts.driver === "nvme" ? facts.namespaces[0] : undefined;
  if (!namespace?.devNumber) {
    throw new NtError("NT_E_DEVICE_BUSY", `${allowed.bdf} has no block device (it is on ${facts.driver ?? "no driver"}, not nvme); restore it first`);
  }
  return {
    devicePath: path.join(devRoot, namespace.name), devNumber: namespace.devNumber,
    startLba: allowed.imageArea.startLba, sizeBytes: allowed.imageArea.sizeBytes,
  };
}
