import type { HelperImageStatus } from "../../protocol/helper/helperDeviceStatusSchema.js";
import type { AllowedDevice } from "../config/helperConfigSchema.js";
import type { PciDeviceFacts } from "../sysfs/SysfsTree.js";
import { ImageArea } from "./ImageArea.js";
import { locateImageArea } from "./locateImageArea.js";

/**
 * The image header of an allowlisted device on nvme, for status: null when the area holds no
 * header of ours, undefined when it cannot be read (off nvme, no block device, busy, unreadable).
 */
export function readImageStatus(allowed: AllowedDevice, facts: PciDeviceFacts, devRoot: string): HelperImageStatus | null | undefined {
  let area: ImageArea;
  try {
    area = ImageArea.open(locateImageArea(allowed, facts, devRoot), "read");
  } catch {
    return undefined;
  }
  try {
    const header = area.readHeader();
    if (!header) return null;
    return {
      state: header.state, name: header.name, sizeBytes: header.ggufBytes, placedAtMs: header.placedAtMs,
      ...(header.state === "valid" ? { sha256: header.sha256 } : {}),
    };
  } catch {
    return undefined;
  } finally {
    area.close();
  }
}
