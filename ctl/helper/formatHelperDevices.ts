import type { HelperDeviceStatus } from "../../protocol/helper/helperDeviceStatusSchema.js";

/** One line per device: address, driver, IOMMU group, identity (and whether it matches), block devices, placed image. */
export function formatHelperDevices(devices: HelperDeviceStatus[]): string {
  if (devices.length === 0) return "no devices in nt-nvme-helper's allowlist\n";
  return devices.map((device) => {
    const identity = Object.entries(device.identity).map(([key, value]) => `${key}=${value}`).join(" ") || "identity unreadable";
    return [device.bdf, device.driver ?? "(no driver)", device.iommuGroup === null ? "no-iommu" : `group ${device.iommuGroup}`,
      `${identity}${device.identityMatches ? "" : " (NOT the allowlisted device)"}`,
      device.blockDevices.join(",") || "-", device.holders.length > 0 ? `held by ${device.holders.join(",")}` : "",
      device.image ? `image ${device.image.name} ${device.image.state === "valid" ? `${device.image.sizeBytes} bytes sha256 ${device.image.sha256}` : "INVALID (placement did not finish)"}` :
        device.image === null ? "no image" : ""]
      .filter(Boolean).join("  ");
  }).join("\n") + "\n";
}
