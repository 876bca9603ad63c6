import path from "node:path";
import { NtError } from "../../protocol/NtError.js";
import type { CheckedDevice } from "../device/checkDevice.js";
import type { ImageAreaLocation } from "./ImageArea.js";

/**
 * The block device node (under `devRoot`) of the device's first namespace and its image area;
 * NT_E_DEVICE_BUSY when the device is off nvme and so has no block device.
 */
export function locateImageArea(device: CheckedDevice, bdf: string, devRoot: string): ImageAreaLocation {
  const namespace = device.facts.driver === "nvme" ? device.facts.namespaces[0] : undefined;
  if (!namespace?.devNumber) {
    throw new NtError("NT_E_DEVICE_BUSY", `${bdf} has no block device (it is on ${device.facts.driver ?? "no driver"}, not nvme); restore it first`);
  }
  return {
    devicePath: path.join(devRoot, namespace.name), devNumber: namespace.devNumber,
    startLba: device.allowed.imageArea.startLba, sizeBytes: device.allowed.imageArea.sizeBytes,
  };
}
