import { NtError } from "../../protocol/NtError.js";
import type { HelperVerbParams, HelperVerbResult } from "../../protocol/helper/helperVerbs.js";
import type { VerbContext } from "../VerbContext.js";
import { ImageArea } from "./ImageArea.js";
import { locateImageArea } from "./locateImageArea.js";

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
