// A placed image read back, never written: its header as status reports it (readImageStatus), and
// an fd of it for the engine (openImageFd, the open-image verb).
import { NtError } from "../../protocol/NtError.js";
import type { HelperImageStatus } from "../../protocol/helper/helperDeviceStatusSchema.js";
import type { HelperVerbParams, HelperVerbResult } from "../../protocol/helper/helperVerbs.js";
import type { AllowedDevice } from "../config/helperConfigSchema.js";
import type { VerbContext } from "../HelperMonitor.js";
import type { PciDeviceFacts } from "../sysfs/SysfsTree.js";
import { ImageArea, locateImageArea } from "./ImageArea.js";

/**
 * `open-image`: a read-only O_DIRECT fd of the namespace's block device, for the engine to read
 * a VALID image at `offsetBytes` (the caller sends it with SCM_RIGHTS, then closes its copy).
 */
export function openImageFd(context: VerbContext, params: HelperVerbParams<"open-image">): { result: HelperVerbResult<"open-image">; fd: number } {
  const device = context.check(params.device);
  const area = ImageArea.open(locateImageArea(device.allowed, device.facts, context.devRoot), "read");
  try {
    const header = area.readHeader();
    if (header?.state !== "valid") {
      throw new NtError("NT_E_NOT_FOUND", `${params.device} holds no valid image${header ? ` (${header.name} is marked INVALID: its placement did not finish)` : ""}`);
    }
    const result = {
      device: params.device, offsetBytes: area.dataStartBytes,
      image: { name: header.name, sizeBytes: header.ggufBytes, sha256: header.sha256, placedAtMs: header.placedAtMs },
    };
    return { result, fd: area.release() };
  } finally {
    area.close();
  }
}

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
