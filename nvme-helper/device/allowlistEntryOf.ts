import { NtError } from "../../protocol/NtError.js";
import type { AllowedDevice, HelperConfig } from "../config/helperConfigSchema.js";

/** The allowlist entry of `bdf`, or NT_E_DEVICE_NOT_ALLOWED. */
export function allowlistEntryOf(config: HelperConfig, bdf: string): AllowedDevice {
  const allowed = config.devices.find((device) => device.bdf === bdf);
  if (!allowed) throw new NtError("NT_E_DEVICE_NOT_ALLOWED", `${bdf} is not in the helper's device allowlist`);
  return allowed;
}
